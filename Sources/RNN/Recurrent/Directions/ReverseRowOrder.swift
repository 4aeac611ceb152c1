/// The order in which a layer's reverse direction reads the rows of a batch (the walk of
/// a bidirectional `RecurrentStack`'s second direction), and the tokens in that order.
///
/// The reverse direction of a layer is the same cell run over the rows in the order
/// `sourceRows`: row `t*B + b` of its input is row `(len_b − 1 − t)*B + b` of the layer's
/// input for `t < len_b`, and itself for the padding after the sequence — so it reads each
/// sequence from its last step to its first, and its own step `t` is the sequence's step
/// `len_b − 1 − t`. That order is its own inverse: the same gather puts the reverse
/// direction's outputs back in time order.
final class ReverseRowOrder {
    /// The tokens of the last forward in the reverse direction's order.
    var reversedTokens: [Int32] = []
    /// `[T*B]`: the row of the time-ordered input that row `r` of the reverse order reads.
    var sourceRows: [Int] = []
    /// The lengths the last forward was given (nil: every sequence has all `T` steps),
    /// copied into storage of its own (a caller's array refilled in place later must not
    /// find it shared, which would copy it each step).
    var givenLengths: [Int]? { hasLengths ? lengthStorage : nil }
    private var lengthStorage: [Int] = []
    private var hasLengths = false

    /// Sets `sourceRows` for `B` sequences of `T` steps with `lengths` (nil: all `T`).
    /// - Complexity: O(T·B); no allocation once the rows have grown to size.
    func reverseRows(steps T: Int, batchSize B: Int, lengths: [Int]?) {
        hasLengths = lengths != nil
        lengthStorage.removeAll(keepingCapacity: true)
        if let lengths { lengthStorage.append(contentsOf: lengths) }
        sourceRows.removeAll(keepingCapacity: true)
        for t in 0..<T {
            for b in 0..<B {
                let n = lengths?[b] ?? T
                sourceRows.append((t < n ? n - 1 - t : t) * B + b)
            }
        }
    }

    /// `destination[r] = source[sourceRows[r]]` for rows of `width` floats.
    func gatherRows(_ source: UnsafePointer<Float>, width: Int, into destination: UnsafeMutablePointer<Float>) {
        for (r, s) in sourceRows.enumerated() {
            (destination + r * width).update(from: source + s * width, count: width)
        }
    }

    /// `destination[sourceRows[r]] += source[r]` for rows of `width` floats (a reverse
    /// direction's rows added back in time order).
    func addRows(_ source: UnsafePointer<Float>, width: Int, into destination: UnsafeMutablePointer<Float>) {
        for (r, s) in sourceRows.enumerated() {
            let from = source + r * width, to = destination + s * width
            for j in 0..<width { to[j] += from[j] }
        }
    }
}
