import Linalg

/// The input of a recurrent stack for `T` steps of a batch of `B` sequences, stored
/// time-major: step `t` of sequence `b` is row / element `t*B + b`.
public enum SequenceInput: Sendable {
    /// Token indices `[T*B]` in `0..<inputSize`, one-hot semantics (done as a row
    /// gather, never a one-hot matrix). `-1` means "no input" (a zero vector), for padding.
    case tokens([Int32])
    /// Dense input vectors `[T*B, inputSize]`.
    case dense(Matrix)

    /// Number of rows (`T*B`).
    public var rowCount: Int {
        switch self {
        case .tokens(let t): return t.count
        case .dense(let m): return m.rows
        }
    }
}
