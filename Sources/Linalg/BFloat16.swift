import _RNNKernels

/// bfloat16 numbers as their bits: the upper 16 bits of a `Float` (8 exponent bits, 7
/// mantissa bits), the input format of the bf16 GEMM (`BLAS.gemmBF16`).
///
/// Rounding is to nearest, ties to even, on the bits: a subnormal float rounds to a
/// subnormal bf16 (not flushed to zero), a float that rounds past the largest bf16
/// becomes infinity, and a NaN stays a quiet NaN of the same sign. Every kernel variant
/// rounds alike. Widening back to `Float` is exact.
///
/// ```swift
/// BFloat16.bits(1.00390625)      // 0x3F80: the tie rounds to the even mantissa, 1.0
/// BFloat16.float(0x3F81)         // 1.0078125
/// ```
public enum BFloat16 {
    /// The bf16 bits nearest to `x`.
    public static func bits(_ x: Float) -> UInt16 {
        var x = x
        var y: UInt16 = 0
        srnn_to_bf16(&x, &y, 1)
        return y
    }

    /// The float whose upper half is `bits` (exact).
    public static func float(_ bits: UInt16) -> Float { Float(bitPattern: UInt32(bits) << 16) }

    /// `y[i] = bits(x[i])` for `i < count`.
    /// - Complexity: O(count), vectorized (the kernel variant in use).
    public static func round(_ x: UnsafePointer<Float>, count: Int, into y: UnsafeMutablePointer<UInt16>) {
        srnn_to_bf16(x, y, count)
    }

    /// `y[i] = float(x[i])` for `i < count`.
    /// - Complexity: O(count).
    public static func widen(_ x: UnsafePointer<UInt16>, count: Int, into y: UnsafeMutablePointer<Float>) {
        srnn_from_bf16(x, y, count)
    }

    /// `round` with a given kernel variant (the tests compare every variant the CPU has).
    package static func round(
        _ x: UnsafePointer<Float>, count: Int, into y: UnsafeMutablePointer<UInt16>, variant: KernelVariant
    ) {
        srnn_to_bf16_variant(Int32(variant.rawValue), x, y, count)
    }
}
