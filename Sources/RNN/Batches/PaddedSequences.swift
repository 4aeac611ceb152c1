import Linalg

/// Sequences of different lengths laid out as one time-major batch, as PyTorch's
/// `pad_sequence` pads them: `B` sequences padded at their end to the longest, `T`; step
/// `t` of sequence `b` at row `t*B + b`. What every model's `Batch` is built from.
///
/// ```swift
/// let padded = try PaddedSequences(tokens: [[3, 1, 4], [1, 5]])
/// padded.tokens    // [3, 1,  1, 5,  4, -1]: T = 3, B = 2, -1 after the second's end
/// padded.lengths   // [3, 2]
/// ```
public struct PaddedSequences: Sendable {
    /// `T`, the longest sequence's length, and `B`, the number of sequences.
    public let steps: Int
    public let batchSize: Int
    /// Each sequence's length, in `1...T`.
    public let lengths: [Int]
    /// The input: `[T*B]` token ids (`-1` after a sequence's end) or `[T*B, I]` rows
    /// (zeros after a sequence's end).
    public let input: SequenceInput

    /// `[T*B]` token ids, `-1` after a sequence's end (empty for dense input).
    public var tokens: [Int32] {
        if case .tokens(let t) = input { return t }
        return []
    }

    /// Token sequences (ids `≥ 0`), padded with `-1`.
    /// - Throws: `BatchError` for no sequences, an empty one, or an id outside `0...Int32.max`.
    /// - Complexity: O(T·B).
    public init(tokens sequences: [[Int]]) throws(BatchError) {
        let lengths = try Self.lengths(sequences.map(\.count))
        let (T, B) = (lengths.max()!, lengths.count)
        var tokens = [Int32](repeating: -1, count: T * B)
        for (b, sequence) in sequences.enumerated() {
            for (t, token) in sequence.enumerated() {
                guard token >= 0 && token <= Int(Int32.max) else {
                    throw .invalidToken(sequence: b, step: t, token: token)
                }
                tokens[t * B + b] = Int32(token)
            }
        }
        (steps, batchSize, self.lengths, input) = (T, B, lengths, .tokens(tokens))
    }

    /// Sequences of `[Float]` rows, all of one width, padded with rows of zeros.
    /// - Throws: `BatchError` for no sequences, an empty one, rows of different widths, or
    ///   a value that is not finite.
    /// - Complexity: O(T·B·I).
    public init(rows sequences: [[[Float]]]) throws(BatchError) {
        let lengths = try Self.lengths(sequences.map(\.count))
        let (T, B, I) = (lengths.max()!, lengths.count, sequences[0][0].count)
        guard I > 0 else { throw .rowWidth(sequence: 0, step: 0, width: 0, expected: 1) }
        var storage = [Float](repeating: 0, count: T * B * I)
        for (b, sequence) in sequences.enumerated() {
            for (t, row) in sequence.enumerated() {
                guard row.count == I else { throw .rowWidth(sequence: b, step: t, width: row.count, expected: I) }
                guard row.allSatisfy(\.isFinite) else { throw .nonFiniteValue(sequence: b, step: t) }
                storage.replaceSubrange((t * B + b) * I..<(t * B + b + 1) * I, with: row)
            }
        }
        (steps, batchSize, self.lengths, input) = (T, B, lengths, .dense(Matrix(rows: T * B, cols: I, storage: storage)))
    }

    /// Per-step values of the same sequences (a tagger's or a language model's targets),
    /// laid out as the input: `[T*B]`, `padding` after each sequence's end.
    /// - Throws: `BatchError.countMismatch` when there are not `B` of them, and
    ///   `lengthMismatch` when one's length differs from its sequence's.
    public func perStep(_ values: [[Int]], padding: Int32 = -1) throws(BatchError) -> [Int32] {
        guard values.count == batchSize else { throw .countMismatch(what: "target sequences", count: values.count, expected: batchSize) }
        var out = [Int32](repeating: padding, count: steps * batchSize)
        for (b, sequence) in values.enumerated() {
            guard sequence.count == lengths[b] else {
                throw .lengthMismatch(sequence: b, length: sequence.count, expected: lengths[b])
            }
            for (t, value) in sequence.enumerated() {
                guard value >= -1 && value <= Int(Int32.max) else { throw .invalidToken(sequence: b, step: t, token: value) }
                out[t * batchSize + b] = Int32(value)
            }
        }
        return out
    }

    /// The lengths of `counts` sequences, checked: at least one, none empty.
    private static func lengths(_ counts: [Int]) throws(BatchError) -> [Int] {
        guard !counts.isEmpty else { throw .noSequences }
        if let b = counts.firstIndex(of: 0) { throw .emptySequence(b) }
        return counts
    }
}

/// What is wrong with data handed to a batch builder: each case names the sequence (and
/// step) at fault.
public enum BatchError: Error, Equatable, CustomStringConvertible {
    /// No sequences at all.
    case noSequences
    /// Sequence `b` has no steps.
    case emptySequence(Int)
    /// A token id below 0 (or a target below -1) or past `Int32.max`.
    case invalidToken(sequence: Int, step: Int, token: Int)
    /// A row whose width differs from the first row's.
    case rowWidth(sequence: Int, step: Int, width: Int, expected: Int)
    /// A NaN or an infinity in a row.
    case nonFiniteValue(sequence: Int, step: Int)
    /// Not one label (or target sequence) per sequence.
    case countMismatch(what: String, count: Int, expected: Int)
    /// Per-step values whose length differs from their sequence's.
    case lengthMismatch(sequence: Int, length: Int, expected: Int)
    /// A token outside the model's vocabulary (`0..<vocabularySize`).
    case tokenOutsideVocabulary(sequence: Int, step: Int, token: Int, vocabularySize: Int)
    /// A target or label outside the model's classes (`0..<classes`, or `-1`: not counted);
    /// `step` is `-1` for a sequence's label.
    case targetOutsideClasses(sequence: Int, step: Int, target: Int, classes: Int)
    /// A sequence length outside `1...steps`.
    case lengthOutOfRange(sequence: Int, length: Int, steps: Int)
    /// A padding token (`-1`) where the model would read it as data: inside a sequence's
    /// length, or without `lengths` where the model reads past the padding (a classifier,
    /// a bidirectional layer) or counts its target.
    case paddingInsideSequence(sequence: Int, step: Int)
    /// Arrays whose sizes do not fit each other (`[T*B]` targets for `T*B` input rows, a
    /// state of `stateSize(batchSize: B)` values, ...): what and how.
    case layout(String)

    public var description: String {
        switch self {
        case .noSequences: return "a batch needs at least one sequence"
        case .emptySequence(let b): return "sequence \(b) is empty; every sequence needs at least one step"
        case .invalidToken(let b, let t, let token):
            return "sequence \(b), step \(t): \(token) is not a valid index (0...\(Int32.max))"
        case .rowWidth(let b, let t, let width, let expected):
            return "sequence \(b), step \(t): a row of \(width) values, but the first row has \(expected)"
        case .nonFiniteValue(let b, let t): return "sequence \(b), step \(t): the row holds NaN or infinity"
        case .countMismatch(let what, let count, let expected):
            return "\(count) \(what) for \(expected) sequences; give one each"
        case .lengthMismatch(let b, let length, let expected):
            return "sequence \(b) has \(expected) steps but \(length) per-step targets; give one per step"
        case .tokenOutsideVocabulary(let b, let t, let token, let size):
            return "sequence \(b), step \(t): token \(token) is outside the model's vocabulary 0..<\(size)"
        case .targetOutsideClasses(let b, let t, let target, let classes) where t < 0:
            return "sequence \(b): label \(target) is outside the model's classes 0..<\(classes) (or -1, not counted)"
        case .targetOutsideClasses(let b, let t, let target, let classes):
            return "sequence \(b), step \(t): target \(target) is outside the model's classes 0..<\(classes) (or -1, not counted)"
        case .lengthOutOfRange(let b, let length, let steps):
            return "sequence \(b): length \(length) is outside 1...\(steps), the batch's steps"
        case .paddingInsideSequence(let b, let t):
            return
                "sequence \(b), step \(t): padding (-1) where the model reads data; give each sequence's length (lengths), or build the batch from arrays of sequences"
        case .layout(let what): return what
        }
    }
}
