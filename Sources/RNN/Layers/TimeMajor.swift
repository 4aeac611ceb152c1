import Linalg

/// Row gathers on time-major arrays `[T, B, width]` (step `t` of sequence `b` at row
/// `t*B + b`): how batches are cut into groups of sequences for the thread split, and
/// how the groups' states are put back together.
package enum TimeMajor {
    /// From `source` `[T, B, width]`, the `[T, range.count, width]` array of sequences
    /// `range`, written into `out` (resized only if its size differs).
    /// - Complexity: O(T · range.count · width).
    package static func gather<E: BitwiseCopyable>(
        _ source: [E], width: Int, steps T: Int, batchSize B: Int,
        sequences range: Range<Int>, into out: inout [E]
    ) {
        let count = range.count
        let n = T * count * width
        precondition(source.count == T * B * width, "\(source.count) values are not [\(T), \(B), \(width)]")
        if out.count != n { out = Array(source.prefix(n)) }
        source.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                for t in 0..<T {
                    (dst.baseAddress! + t * count * width)
                        .update(from: src.baseAddress! + (t * B + range.lowerBound) * width, count: count * width)
                }
            }
        }
    }

    /// The inverse of `gather`: writes `part` `[T, range.count, width]` into sequences
    /// `range` of `whole` `[T, B, width]`. - Complexity: O(T · range.count · width).
    package static func scatter<E: BitwiseCopyable>(
        _ part: [E], width: Int, steps T: Int, batchSize B: Int,
        sequences range: Range<Int>, into whole: inout [E]
    ) {
        let count = range.count
        precondition(part.count == T * count * width && whole.count == T * B * width, "mismatched [T, B, width] arrays")
        part.withUnsafeBufferPointer { src in
            whole.withUnsafeMutableBufferPointer { dst in
                for t in 0..<T {
                    (dst.baseAddress! + (t * B + range.lowerBound) * width)
                        .update(from: src.baseAddress! + t * count * width, count: count * width)
                }
            }
        }
    }

    /// `[blocks, B, width]` state rows of sequences `range` of `state` into `out`
    /// (nil stays nil). - Complexity: O(blocks · range.count · width).
    package static func gatherState(
        _ state: [Float]?, blocks: Int, batchSize B: Int, sequences range: Range<Int>,
        into out: inout [Float]?
    ) {
        guard let state, blocks > 0 else { out = nil; return }
        var values = out ?? []
        out = nil  // one owner, so the gather writes in place
        gather(state, width: state.count / (blocks * B), steps: blocks, batchSize: B, sequences: range, into: &values)
        out = values
    }

    /// The lengths of sequences `range` of `lengths` into `out` (nil stays nil), reusing
    /// its storage. - Complexity: O(range.count).
    package static func gatherLengths(_ lengths: [Int]?, sequences range: Range<Int>, into out: inout [Int]?) {
        guard let lengths else { out = nil; return }
        var values = out ?? []
        out = nil  // one owner, so the gather writes in place
        gather(lengths, width: 1, steps: 1, batchSize: lengths.count, sequences: range, into: &values)
        out = values
    }
}

extension SequenceInput {
    /// Makes `self` the input of sequences `range` of `source` (`batchSize` sequences),
    /// reusing `self`'s storage when it holds the same kind.
    package mutating func takeSequences(_ range: Range<Int>, of source: SequenceInput, batchSize B: Int) {
        let T = source.rowCount / B
        switch source {
        case .tokens(let all):
            var mine: [Int32] = []
            if case .tokens(let t) = self { mine = t }
            self = .tokens([])
            TimeMajor.gather(all, width: 1, steps: T, batchSize: B, sequences: range, into: &mine)
            self = .tokens(mine)
        case .dense(let all):
            var mine = Matrix(rows: 0, cols: all.cols)
            if case .dense(let m) = self, m.cols == all.cols { mine = m }
            self = .tokens([])
            if mine.rows != T * range.count { mine = Matrix(rows: T * range.count, cols: all.cols) }
            TimeMajor.gather(all.storage, width: all.cols, steps: T, batchSize: B, sequences: range, into: &mine.storage)
            self = .dense(mine)
        }
    }
}
