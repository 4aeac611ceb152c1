import Linalg
import Testing

/// oneDNN's matmul with a packed weight (`PackedMatmul`, `PackedWeight`) against a Double
/// product of the same inputs (bf16-rounded ones for bf16): overwriting and accumulating,
/// row strides past the columns, the thin shapes of a recurrence's step, a weight packed
/// again after it changed, and one packed copy serving several row counts.
struct PackedMatmulTests {
    /// Operands in `precision`: floats, or bf16 bits rounded from them.
    struct Operands {
        let precision: Precision
        let values: [Float]

        init(_ precision: Precision, count: Int, _ rng: inout SeededRandom) {
            self.precision = precision
            let floats = (0..<count).map { _ in rng.uniform(-1, 1) }
            values = precision == .bf16 ? floats.map { BFloat16.float(BFloat16.bits($0)) } : floats
        }

        /// The values as the plan reads them: floats, or their bf16 bits.
        func withRaw<R>(_ body: (UnsafeRawPointer) -> R) -> R {
            if precision == .fp32 { return values.withUnsafeBytes { body($0.baseAddress!) } }
            return values.map(BFloat16.bits).withUnsafeBytes { body($0.baseAddress!) }
        }
    }

    /// `c0 (+)= a b` through the plan, checked against a Double product within the float
    /// accumulation's `(k + 2)·u` bound, and columns past `n` left as they were.
    static func check(
        _ plan: PackedMatmul, _ weight: PackedWeight, values b: [Float], m: Int, n: Int, k: Int, lda: Int, ldc: Int, accumulates: Bool,
        _ rng: inout SeededRandom, _ label: String
    ) {
        let a = Operands(plan.operands, count: m * lda, &rng)
        let c0 = (0..<(m * ldc)).map { _ in rng.uniform(-1, 1) }
        var c = c0
        a.withRaw { raw in c.withUnsafeMutableBufferPointer { plan.multiply(raw, weight, into: $0.baseAddress!) } }
        for i in 0..<m {
            for j in 0..<ldc {
                let got = Double(c[i * ldc + j])
                guard j < n else {
                    #expect(got == Double(c0[i * ldc + j]), "\(label): wrote past n at row \(i), column \(j)")
                    continue
                }
                let terms = (0..<k).map { Double(a.values[i * lda + $0]) * Double(b[$0 * n + j]) }
                let start = accumulates ? Double(c0[i * ldc + j]) : 0
                let exact = start + terms.reduce(0, +)
                let bound = Double(k + 2) * 0x1p-24 * (abs(start) + terms.reduce(0) { $0 + abs($1) })
                #expect(abs(got - exact) <= bound, "\(label) [\(i), \(j)]: \(got) against \(exact)")
                if abs(got - exact) > bound { return }
            }
        }
    }

    static let shapes = [(1, 16, 8, 8, 16), (7, 33, 17, 20, 40), (32, 1024, 256, 256, 1024), (64, 96, 130, 131, 100)]

    @Test(arguments: shapes)
    func fp32MatchesADoubleProduct(_ shape: (Int, Int, Int, Int, Int)) throws {
        try matchesADoubleProduct(.fp32, shape)
    }

    @Test(
        .enabled(if: BF16Support.current.isAvailable, "skipped: no avx512_bf16 (oneDNN runs no bf16 hardware here)"),
        arguments: shapes)
    func bf16MatchesADoubleProductOfTheRoundedInputs(_ shape: (Int, Int, Int, Int, Int)) throws {
        try matchesADoubleProduct(.bf16, shape)
    }

    func matchesADoubleProduct(_ precision: Precision, _ shape: (Int, Int, Int, Int, Int)) throws {
        let (m, n, k, lda, ldc) = shape
        var rng = SeededRandom(seed: 71)
        for accumulates in [false, true] {
            let plan = try #require(PackedMatmul(precision, m: m, n: n, k: k, lda: lda, ldc: ldc, accumulates: accumulates))
            let weight = try #require(PackedWeight(for: plan))
            #expect(weight.fits(plan) && weight.version == nil)
            for round in 0..<2 {  // a second weight: packed again
                let b = Operands(precision, count: k * n, &rng)
                b.withRaw { weight.pack($0, version: UInt64(round)) }
                #expect(weight.version == UInt64(round))
                Self.check(
                    plan, weight, values: b.values, m: m, n: n, k: k, lda: lda, ldc: ldc, accumulates: accumulates, &rng,
                    "\(precision) m \(m) n \(n) k \(k), accumulates \(accumulates), round \(round)")
            }
        }
    }

    /// A beam search's rows shrink as its sources end: one packed copy serves the plans of
    /// every row count of the shape.
    @Test(arguments: Precision.allCases.filter { $0 == .fp32 || BF16Support.current.isAvailable })
    func onePackedWeightServesEveryRowCount(_ precision: Precision) throws {
        var rng = SeededRandom(seed: 72)
        let (n, k) = (256, 64)
        let first = try #require(PackedMatmul(precision, m: 100, n: n, k: k, lda: k, ldc: n, accumulates: true))
        let weight = try #require(PackedWeight(for: first))
        let b = Operands(precision, count: k * n, &rng)
        b.withRaw { weight.pack($0, version: 1) }
        for m in [100, 17, 1] {
            let plan = try #require(PackedMatmul(precision, m: m, n: n, k: k, lda: k, ldc: n, accumulates: true))
            #expect(weight.fits(plan), "\(precision): m \(m) wants another layout")
            Self.check(plan, weight, values: b.values, m: m, n: n, k: k, lda: k, ldc: n, accumulates: true, &rng, "\(precision) m \(m)")
        }
        let other = try #require(PackedMatmul(precision, m: 5, n: n / 2, k: k, lda: k, ldc: n, accumulates: true))
        #expect(!weight.fits(other), "a weight of another shape")
    }
}
