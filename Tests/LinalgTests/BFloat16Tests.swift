import Foundation
import Linalg
import Testing

/// bfloat16 rounding against a reference built another way (the two neighbouring bf16
/// values compared in Double), on every kernel variant the CPU has; and the bf16 GEMM
/// against a double-precision product of the same bf16 inputs.
struct BFloat16Tests {
    /// The bf16 nearest to `x`, ties to the even mantissa, found by comparing the two bf16
    /// values that bracket it (truncation and the next one away from zero) in Double.
    static func reference(_ x: Float) -> UInt16 {
        let bits = x.bitPattern
        if x.isNaN { return UInt16(bits >> 16) | 0x0040 }
        let low = UInt16(bits >> 16)  // toward zero
        let high = low &+ 1  // away from zero (may be infinity)
        // Past the largest bf16, IEEE rounding treats infinity as the next value, 2^128.
        let a = Double(BFloat16.float(low))
        let b = high & 0x7FFF == 0x7F80 ? (x < 0 ? -0x1p128 : 0x1p128) : Double(BFloat16.float(high))
        let da = abs(Double(x) - a), db = abs(Double(x) - b)
        if x.isInfinite || da < db { return low }
        if db < da { return high }
        return low & 1 == 0 ? low : high
    }

    /// Special values, ties, subnormals, the largest float, and a seeded sweep of bit patterns.
    static var samples: [Float] {
        var values: [Float] = [
            0, -0, 1, -1, 1.00390625, 1.01171875, -1.00390625, .infinity, -.infinity, .nan, -.nan,
            Float(bitPattern: 0x7FA0_0001),  // a signalling NaN
            .greatestFiniteMagnitude, -.greatestFiniteMagnitude, Float(bitPattern: 0x7F7F_7FFF), Float(bitPattern: 0x7F7F_8000),
            .leastNonzeroMagnitude, .leastNormalMagnitude, Float(bitPattern: 0x0000_8000), Float(bitPattern: 0x0001_8000),
            Float(bitPattern: 0x0000_7FFF), Float(bitPattern: 0x807F_FFFF), 3.14159265, 65504, 1e-30, -2.5e38,
        ]
        var rng = SeededRandom(seed: 31)
        for _ in 0..<20_000 { values.append(Float(bitPattern: UInt32(truncatingIfNeeded: rng.next()))) }
        return values
    }

    @Test func roundingIsToNearestEvenOnEveryVariant() {
        let x = Self.samples
        let expected = x.map(Self.reference)
        for variant in KernelVariant.supported {
            var y = [UInt16](repeating: 0, count: x.count)
            BFloat16.round(x, count: x.count, into: &y, variant: variant)
            let wrong = zip(x, zip(y, expected)).first { $0.1.0 != $0.1.1 }
            #expect(
                wrong == nil,
                "\(variant): \(wrong.map { "\($0.0) (0x\(String($0.0.bitPattern, radix: 16))) -> 0x\(String($0.1.0, radix: 16)), expected 0x\(String($0.1.1, radix: 16))" } ?? "")"
            )
        }
        #expect(BFloat16.bits(1.00390625) == 0x3F80 && BFloat16.bits(1.01171875) == 0x3F82)  // ties to even
        #expect(BFloat16.bits(.greatestFiniteMagnitude) == 0x7F80)  // rounds past the largest bf16
        #expect(BFloat16.bits(Float(bitPattern: 0x0001_8000)) == 0x0002)  // a subnormal tie, not flushed
        #expect(BFloat16.float(BFloat16.bits(-.nan)).isNaN && BFloat16.bits(-.nan) & 0x8000 != 0)
    }

    @Test func wideningIsExact() {
        let bits = (0...UInt16.max).map { $0 }
        var floats = [Float](repeating: 0, count: bits.count)
        BFloat16.widen(bits, count: bits.count, into: &floats)
        #expect(zip(bits, floats).allSatisfy { $0.1.bitPattern == UInt32($0.0) << 16 })
        var back = [UInt16](repeating: 0, count: bits.count)
        BFloat16.round(floats, count: floats.count, into: &back)
        // Every bf16 value rounds to itself (a NaN to its quiet form).
        #expect(zip(bits, back).allSatisfy { $0.0 == $0.1 || ($0.0 & 0x7FFF > 0x7F80 && $0.1 == $0.0 | 0x0040) })
    }

    @Test func precisionIsCheckedAgainstTheMachine() throws {
        let support = BF16Support.current
        #expect(throws: Never.self) { try Precision.fp32.check() }
        if support.isAvailable {
            try Precision.bf16.check()
        } else {
            #expect(throws: PrecisionError.self) { try Precision.bf16.check() }
        }
        // The ISA oneDNN reports agrees with the CPU flags (unless DNNL_MAX_CPU_ISA holds it back).
        if ProcessInfo.processInfo.environment["DNNL_MAX_CPU_ISA"] == nil {
            #expect(support.isAvailable == support.hasDotProduct || support.isa == "avx512_core_amx", "\(support)")
        }
    }

    struct Shape: CustomStringConvertible, Sendable {
        var transA: Transpose, transB: Transpose, m: Int, n: Int, k: Int, alpha: Float, beta: Float, pad: Int
        var description: String { "\(transA) \(transB) \(m)x\(n)x\(k) alpha \(alpha) beta \(beta) pad \(pad)" }
    }

    static let shapes: [Shape] = [
        Shape(transA: .none, transB: .none, m: 7, n: 5, k: 3, alpha: 1, beta: 0, pad: 0),
        Shape(transA: .none, transB: .transposed, m: 16, n: 33, k: 64, alpha: 1, beta: 0, pad: 3),
        Shape(transA: .transposed, transB: .none, m: 9, n: 17, k: 40, alpha: 0.5, beta: 1, pad: 1),
        Shape(transA: .transposed, transB: .transposed, m: 12, n: 8, k: 31, alpha: -2, beta: 0.25, pad: 5),
        Shape(transA: .none, transB: .transposed, m: 64, n: 256, k: 64, alpha: 1, beta: 1, pad: 0),
        Shape(transA: .none, transB: .none, m: 3, n: 4, k: 0, alpha: 1, beta: 0.5, pad: 2),
        Shape(transA: .none, transB: .none, m: 3, n: 4, k: 0, alpha: 1, beta: 0, pad: 0),
    ]

    /// Each product of two bf16 values is exact in float, so the only error is the float
    /// accumulation: at most `k · u` (u = 2⁻²⁴) of `Σ|a·b|`, plus `beta·C`'s rounding.
    @Test(
        .enabled(if: BF16Support.current.isAvailable, "skipped: no avx512_bf16 (oneDNN runs no bf16 hardware here)"),
        arguments: shapes)
    func theGEMMMatchesADoubleProductOfTheRoundedInputs(_ s: Shape) {
        var rng = SeededRandom(seed: UInt64(s.m * 1000 + s.n * 10 + s.k))
        let (ra, ca) = s.transA == .none ? (s.m, s.k) : (s.k, s.m)
        let (rb, cb) = s.transB == .none ? (s.k, s.n) : (s.n, s.k)
        let (lda, ldb, ldc) = (ca + s.pad, cb + s.pad, s.n + s.pad)
        func bf16Matrix(_ rows: Int, _ ld: Int) -> [UInt16] {
            (0..<(rows * ld)).map { _ in BFloat16.bits(Float(rng.normal())) }
        }
        let a = bf16Matrix(ra, lda), b = bf16Matrix(rb, ldb)
        let c0 = (0..<(s.m * ldc)).map { _ in Float(rng.normal()) }
        var c = c0
        BLAS.gemmBF16(
            s.transA, s.transB, m: s.m, n: s.n, k: s.k, alpha: s.alpha, a: a, lda: lda, b: b, ldb: ldb,
            beta: s.beta, c: &c, ldc: ldc)
        func A(_ i: Int, _ p: Int) -> Double { Double(BFloat16.float(s.transA == .none ? a[i * lda + p] : a[p * lda + i])) }
        func B(_ p: Int, _ j: Int) -> Double { Double(BFloat16.float(s.transB == .none ? b[p * ldb + j] : b[j * ldb + p])) }
        let u = 1.0 / Double(1 << 24)
        for i in 0..<s.m {
            for j in 0..<s.n {
                var exact = 0.0, magnitude = 0.0
                for p in 0..<s.k {
                    exact += A(i, p) * B(p, j)
                    magnitude += abs(A(i, p) * B(p, j))
                }
                let expected = Double(s.alpha) * exact + Double(s.beta) * Double(c0[i * ldc + j])
                let bound = Double(s.k + 2) * u * (abs(Double(s.alpha)) * magnitude + abs(Double(s.beta * c0[i * ldc + j])))
                #expect(abs(Double(c[i * ldc + j]) - expected) <= bound + 1e-30, "\(s) at \(i),\(j)")
            }
            // The padding between rows of C is not written.
            for j in s.n..<ldc { #expect(c[i * ldc + j] == c0[i * ldc + j]) }
        }
    }
}
