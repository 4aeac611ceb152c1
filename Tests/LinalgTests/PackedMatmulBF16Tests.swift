import Linalg
import Testing

/// oneDNN's matmul with a packed bf16 weight (`PackedMatmulBF16`) against a Double product
/// of the same bf16 inputs: overwriting and accumulating, row strides past the columns,
/// the thin shapes of a recurrence's step, and a weight packed again after it changed.
@Suite(.enabled(if: BF16Support.current.isAvailable, "skipped: no avx512_bf16 (oneDNN runs no bf16 hardware here)"))
struct PackedMatmulBF16Tests {
    static func bf16(_ count: Int, _ rng: inout SeededRandom) -> [UInt16] {
        (0..<count).map { _ in BFloat16.bits(rng.uniform(-1, 1)) }
    }

    @Test(arguments: [(1, 16, 8, 8, 16), (7, 33, 17, 20, 40), (32, 1024, 256, 256, 1024), (64, 96, 130, 131, 100)])
    func matchesADoubleProductOfTheRoundedInputs(_ shape: (Int, Int, Int, Int, Int)) throws {
        let (m, n, k, lda, ldc) = shape
        var rng = SeededRandom(seed: 71)
        for accumulates in [false, true] {
            let plan = try #require(PackedMatmulBF16(m: m, n: n, k: k, lda: lda, ldc: ldc, accumulates: accumulates))
            for round in 0..<2 {  // a second weight: packed again
                let a = Self.bf16(m * lda, &rng), b = Self.bf16(k * n, &rng)
                let c0 = (0..<(m * ldc)).map { _ in rng.uniform(-1, 1) }
                var c = c0
                plan.pack(b)
                plan.multiply(a, into: &c)
                for i in 0..<m {
                    for j in 0..<ldc {
                        let got = Double(c[i * ldc + j])
                        guard j < n else {
                            #expect(got == Double(c0[i * ldc + j]), "wrote past n at row \(i), column \(j)")
                            continue
                        }
                        let terms = (0..<k).map { Double(BFloat16.float(a[i * lda + $0])) * Double(BFloat16.float(b[$0 * n + j])) }
                        let start = accumulates ? Double(c0[i * ldc + j]) : 0
                        let exact = start + terms.reduce(0, +)
                        let bound = Double(k + 2) * 0x1p-24 * (abs(start) + terms.reduce(0) { $0 + abs($1) })
                        #expect(
                            abs(got - exact) <= bound,
                            "m \(m) n \(n) k \(k), accumulates \(accumulates), round \(round), [\(i), \(j)]: \(got) against \(exact)")
                        if abs(got - exact) > bound { return }
                    }
                }
            }
        }
    }
}
