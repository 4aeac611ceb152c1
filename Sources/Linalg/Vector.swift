import _RNNKernels

/// Vectorized elementwise kernels on contiguous `Float` buffers.
///
/// `exp` and `tanh` use range reduction and polynomial forms (after Cephes'
/// `expf` / `tanhf`) written without branches, so that the optimizer turns the
/// loops over them into SIMD code, instead of one libm call per element (about
/// 20 ns here). The buffer functions run the same algorithms from the C target
/// `_RNNKernels`, compiled for the x86-64 baseline, for AVX2 + FMA and for
/// AVX-512, the most capable chosen at run time (`KernelVariant`). Error bounds
/// against libm (checked by the tests over a dense sweep of the float range, for
/// every variant the processor runs):
/// - `exp`: at most 2 ulp where the result is a normal float; results in the
///   subnormal range are within 1e-45 absolute; `exp(x) = +inf` for
///   `x > 88.7228`, `0` for `x < -103.97`, NaN stays NaN.
/// - `tanh`: at most 3 ulp everywhere; `tanh(±inf) = ±1`, `tanh(±0) = ±0`,
///   NaN stays NaN.
public enum Vector {
    static let expMaxArgument: Float = 88.72283905206835  // ln(Float.greatestFiniteMagnitude)
    static let expMinArgument: Float = -103.972084  // below this, exp rounds to 0

    /// `exp(x)`, branch-free so that loops over it vectorize. See `Vector` for the error bound.
    @inline(__always)
    public static func exp(_ x0: Float) -> Float {
        let x = Swift.min(Swift.max(x0, expMinArgument), expMaxArgument)  // NaN handled below
        // x = n ln2 + r with n = round(x / ln2): adding 1.5·2²³ rounds to an integer and
        // leaves n in the low mantissa bits; ln2 is split in two for an exact product (Cephes).
        let shifted = x * 1.44269504088896341 + 12_582_912
        let n = shifted - 12_582_912
        let ni = Int32(bitPattern: shifted.bitPattern) &- 0x4B40_0000
        var r = x - n * 0.693359375
        r = r - n * -2.12194440e-4
        let r2 = r * r
        var p: Float = 1.9875691500e-4
        p = p * r + 1.3981999507e-3
        p = p * r + 8.3334519073e-3
        p = p * r + 4.1665795894e-2
        p = p * r + 1.6666665459e-1
        p = p * r + 5.0000001201e-1
        let y = p * r2 + r + 1
        // Scale by 2^n in two halves so that subnormal results and n = 128 stay exact.
        let n1 = ni &>> 1
        let n2 = ni &- n1
        let s1 = Float(bitPattern: UInt32(bitPattern: (n1 &+ 127) &<< 23))
        let s2 = Float(bitPattern: UInt32(bitPattern: (n2 &+ 127) &<< 23))
        var result = y * s1 * s2
        result = x0 > expMaxArgument ? .infinity : result
        result = x0 < expMinArgument ? 0 : result
        return x0 != x0 ? x0 : result
    }

    /// `tanh(x)`, branch-free so that loops over it vectorize. See `Vector` for the error bound.
    @inline(__always)
    public static func tanh(_ x: Float) -> Float {
        let ax = Swift.abs(x)
        // |x| < 0.625: odd polynomial (no cancellation near 0).
        let z = x * x
        var p: Float = -5.70498872745e-3
        p = p * z + 2.06390887954e-2
        p = p * z - 5.37397155531e-2
        p = p * z + 1.33314422036e-1
        p = p * z - 3.33332819422e-1
        let small = p * z * x + x
        // |x| >= 0.625: 1 - 2 / (exp(2|x|) + 1); tanh rounds to 1 beyond |x| = 9.02.
        let e = exp(2 * Swift.min(ax, 10))
        let magnitude = 1 - 2 / (e + 1)
        let large = x < 0 ? -magnitude : magnitude
        var result = ax < 0.625 ? small : large
        result = ax < 1e-4 ? x : result  // tanh(x) rounds to x there; keeps -0
        return x != x ? x : result
    }

    /// The variant of the C kernels the buffer functions run (`KernelVariant.current`).
    package static var kernelVariant: KernelVariant { KernelVariant.current }

    /// `dst[i] = exp(src[i])`; `src` and `dst` may be the same buffer.
    /// - Complexity: O(count).
    public static func exp(_ src: UnsafePointer<Float>, into dst: UnsafeMutablePointer<Float>, count: Int) {
        srnn_exp(src, dst, count)
    }

    /// `x[i] = exp(x[i])`. - Complexity: O(count).
    public static func exp(inPlace x: UnsafeMutablePointer<Float>, count: Int) {
        srnn_exp(x, x, count)
    }

    /// `dst[i] = tanh(src[i])`; `src` and `dst` may be the same buffer.
    /// - Complexity: O(count).
    public static func tanh(_ src: UnsafePointer<Float>, into dst: UnsafeMutablePointer<Float>, count: Int) {
        srnn_tanh(src, dst, count)
    }

    /// `x[i] = tanh(x[i])`. - Complexity: O(count).
    public static func tanh(inPlace x: UnsafeMutablePointer<Float>, count: Int) {
        srnn_tanh(x, x, count)
    }

    /// The logistic function `1 / (1 + exp(-x))`, branch-free (vectorizes): within 4 ulp
    /// of the exact value where that is a normal float; below (x < -87.3) it flushes to 0.
    @inline(__always)
    public static func sigmoid(_ x: Float) -> Float {
        1 / (1 + exp(-x))
    }

    /// `x[i] = sigmoid(x[i])`. - Complexity: O(count).
    public static func sigmoid(inPlace x: UnsafeMutablePointer<Float>, count: Int) {
        srnn_sigmoid(x, x, count)
    }

    /// `exp` in place.
    public static func exp(_ x: UnsafeMutableBufferPointer<Float>) {
        guard let base = x.baseAddress else { return }
        exp(base, into: base, count: x.count)
    }

    /// `tanh` in place.
    public static func tanh(_ x: UnsafeMutableBufferPointer<Float>) {
        guard let base = x.baseAddress else { return }
        tanh(base, into: base, count: x.count)
    }

    /// `exp` of an array.
    public static func exp(_ x: [Float]) -> [Float] {
        var r = x
        r.withUnsafeMutableBufferPointer { exp($0) }
        return r
    }

    /// `tanh` of an array.
    public static func tanh(_ x: [Float]) -> [Float] {
        var r = x
        r.withUnsafeMutableBufferPointer { tanh($0) }
        return r
    }

    /// `max(x, 0)` in place. - Complexity: O(count).
    public static func relu(_ x: UnsafeMutablePointer<Float>, count: Int) {
        for i in 0..<count { x[i] = x[i] < 0 ? 0 : x[i] }
    }

    /// `grad[i] *= 1 - y[i]²`: the tanh derivative expressed through its output `y`.
    /// - Complexity: O(count).
    public static func multiplyByTanhDerivative(_ grad: UnsafeMutablePointer<Float>, output y: UnsafePointer<Float>, count: Int) {
        for i in 0..<count { grad[i] *= 1 - y[i] * y[i] }
    }

    /// `grad[i] = 0` where `y[i] <= 0`: the relu derivative expressed through its output `y`.
    /// - Complexity: O(count).
    public static func multiplyByReluDerivative(_ grad: UnsafeMutablePointer<Float>, output y: UnsafePointer<Float>, count: Int) {
        for i in 0..<count where y[i] <= 0 { grad[i] = 0 }
    }

    /// `Σ x[i]²`, accumulated in Double (Float partial sums over blocks of 256).
    /// - Complexity: O(count).
    public static func sumOfSquares(_ x: UnsafeBufferPointer<Float>) -> Double {
        var total = 0.0
        var i = 0
        let n = x.count
        while i < n {
            let end = Swift.min(i + 256, n)
            var partial: Float = 0
            for j in i..<end { partial += x[j] * x[j] }
            total += Double(partial)
            i = end
        }
        return total
    }

    /// Column sums of a row-major `[rows, cols]` block added into `sums` (`cols` elements).
    /// - Complexity: O(rows * cols).
    public static func addColumnSums(of x: UnsafePointer<Float>, rows: Int, cols: Int, into sums: UnsafeMutablePointer<Float>) {
        for i in 0..<rows {
            let row = x + i * cols
            for j in 0..<cols { sums[j] += row[j] }
        }
    }
}
