import Linalg

/// The checks behind every model's `check(_:)`: what a user hands a model, against the
/// model's sizes, with a `BatchError` that names the sequence and step at fault. Each is
/// one pass over the batch's arrays: O(T·B), or O(T·B·I) for dense rows.
enum BatchCheck {
    /// `T` of `rows` time-major rows of `B` sequences.
    static func steps(rows: Int, batchSize B: Int, what: String) throws(BatchError) -> Int {
        guard B > 0 else { throw .layout("the batch has no sequences (batchSize \(B))") }
        guard rows > 0, rows % B == 0 else {
            throw .layout("\(rows) \(what) are not [T*B] for a batch of \(B) sequences")
        }
        return rows / B
    }

    /// `B` lengths in `1...T`, when given.
    static func lengths(_ lengths: [Int]?, steps T: Int, batchSize B: Int) throws(BatchError) {
        guard let lengths else { return }
        guard lengths.count == B else { throw .countMismatch(what: "lengths", count: lengths.count, expected: B) }
        for (b, n) in lengths.enumerated() where n < 1 || n > T {
            throw .lengthOutOfRange(sequence: b, length: n, steps: T)
        }
    }

    /// `[T*B]` tokens or `[T*B, size]` finite rows. Inside a sequence (step `t` below its
    /// length; every step without `lengths`) a token is in `0..<size`; after a sequence's
    /// end anything in `-1..<size` (the model does not read it).
    static func input(
        _ input: SequenceInput, steps T: Int, batchSize B: Int, size: Int, lengths: [Int]?
    ) throws(BatchError) {
        switch input {
        case .tokens(let tokens):
            for b in 0..<B {
                let length = lengths?[b] ?? T
                for (t, row) in stride(from: b, to: T * B, by: B).enumerated() {
                    let token = tokens[row]
                    if token >= 0 && Int(token) < size { continue }
                    if token == -1 && t >= length { continue }
                    if token == -1 { throw .paddingInsideSequence(sequence: b, step: t) }
                    throw .tokenOutsideVocabulary(sequence: b, step: t, token: Int(token), vocabularySize: size)
                }
            }
        case .dense(let rows):
            guard rows.cols == size else {
                throw .layout("input rows have \(rows.cols) values; the model takes \(size)")
            }
            try finiteRows(rows, batchSize: B)
        }
    }

    /// Each sequence's length as a causal model without `lengths` sees it: up to the run
    /// of padding (`-1` tokens with `-1` targets) that ends it, which nothing counted
    /// follows. Padding anywhere else is read as data.
    static func lengthsBeforeTrailingPadding(_ tokens: [Int32], targets: [Int32], steps T: Int, batchSize B: Int) -> [Int] {
        (0..<B).map { b in
            var length = T
            while length > 0 && tokens[(length - 1) * B + b] == -1 && targets[(length - 1) * B + b] == -1 { length -= 1 }
            return length
        }
    }

    /// `[T*B]` targets (or `[B]` labels, `T` = 1) in `-1..<classes`; with `lengths`,
    /// `-1` after each sequence's end (the padding is not trained on). A label's error
    /// names step `-1`.
    static func targets(
        _ targets: [Int32], steps T: Int, batchSize B: Int, classes: Int, lengths: [Int]? = nil,
        labels: Bool = false
    ) throws(BatchError) {
        for b in 0..<B {
            let length = lengths?[b] ?? T
            for (t, row) in stride(from: b, to: T * B, by: B).enumerated() {
                let target = targets[row]
                guard target >= -1 && Int(target) < classes else {
                    throw .targetOutsideClasses(sequence: b, step: labels ? -1 : t, target: Int(target), classes: classes)
                }
                if t >= length && target != -1 {
                    throw .layout(
                        "sequence \(b), step \(t): a counted target after the sequence's end (length \(length)); the padding's targets are -1"
                    )
                }
            }
        }
    }

    /// Token sequences the model reads step by step from their start (a decoder's
    /// teacher-forced targets): padding `-1` only at a sequence's end, nothing counted after it.
    static func paddedAtEnd(_ tokens: [Int32], steps T: Int, batchSize B: Int) throws(BatchError) {
        for b in 0..<B {
            var firstPadding: Int? = nil
            for (t, row) in stride(from: b, to: T * B, by: B).enumerated() {
                if tokens[row] == -1 {
                    firstPadding = firstPadding ?? t
                } else if let first = firstPadding {
                    throw .paddingInsideSequence(sequence: b, step: first)
                }
            }
        }
    }

    /// Rows of finite values; the error names the sequence and step of the first that is not.
    static func finiteRows(_ rows: Matrix, batchSize B: Int) throws(BatchError) {
        let I = rows.cols
        try rows.storage.withUnsafeBufferPointer { (values) throws(BatchError) in
            for r in 0..<rows.rows where !UnsafeBufferPointer(rebasing: values[r * I..<(r + 1) * I]).allSatisfy(\.isFinite) {
                throw .nonFiniteValue(sequence: r % B, step: r / B)
            }
        }
    }

    /// Dense rows for a model whose first layer is an embedding (of token ids).
    static func embeddingTakesTokens(_ input: SequenceInput, _ hasEmbedding: Bool) throws(BatchError) {
        guard hasEmbedding, case .dense = input else { return }
        throw .layout("the model has an embedding: it takes token ids, not rows of values")
    }

    /// An initial state of `expected` values, when given.
    static func state(_ state: [Float]?, expected: Int) throws(BatchError) {
        guard let state, state.count != expected else { return }
        throw .layout("the initial state has \(state.count) values; the model's state for this batch has \(expected)")
    }
}
