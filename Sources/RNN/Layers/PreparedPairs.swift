import Linalg

/// A prepared `[K, N]` weight (a transpose, `PreparedTranspose`) in bfloat16 pairs of
/// rows (`RowProduct.packPairs`), the operand of one row's bf16 product; made again only
/// when the parameters have moved past the version it is of.
final class PreparedPairs {
    private let buffer = AlignedBuffer<UInt32>()
    private var version: UInt64?

    /// The floats' worth of the pairs (0 until made).
    var heldFloats: Int { buffer.heldFloats }

    /// `[⌈K/2⌉, N]` pairs of the contiguous `[K, N]` matrix `weight`, of the parameters at
    /// `version`.
    /// - Complexity: O(K·N) when made, O(1) when current.
    func of(_ weight: UnsafePointer<Float>, depth K: Int, width N: Int, version: UInt64) -> UnsafePointer<UInt32> {
        let count = (K + 1) / 2 * N
        if self.version != version || buffer.count != count {
            buffer.resize(count)
            RowProduct.packPairs(weight, ldw: N, k: K, n: N, into: buffer.pointer, ldo: N)
            self.version = version
        }
        return UnsafePointer(buffer.pointer)
    }
}
