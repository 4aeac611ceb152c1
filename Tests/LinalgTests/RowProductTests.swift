import Linalg
import Testing

/// `RowProduct` in every variant this processor runs, against a double-precision triple
/// loop, with shapes that leave column tails and a row stride past the columns; and a
/// slice of the columns gives the whole product's bits (what a team's split relies on).
struct RowProductTests {
    static func naive(_ x: [Float], _ w: [Float], ldw: Int, y: [Float], k: Int, n: Int) -> [Double] {
        (0..<n).map { j in Double(y[j]) + (0..<k).reduce(0.0) { $0 + Double(x[$1]) * Double(w[$1 * ldw + j]) } }
    }

    @Test(arguments: KernelVariant.supported)
    func matchesTheNaiveSum(_ variant: KernelVariant) {
        var rng = SeededRandom(seed: 21)
        for (k, n, ldw) in [(1, 1, 1), (3, 17, 20), (64, 128, 128), (256, 1024, 1024), (33, 200, 257), (7, 300, 300)] {
            let x = (0..<k).map { _ in rng.uniform(-1, 1) }
            let w = (0..<(k * ldw)).map { _ in rng.uniform(-1, 1) }
            let y0 = (0..<n).map { _ in rng.uniform(-1, 1) }
            var y = y0
            x.withUnsafeBufferPointer { px in
                w.withUnsafeBufferPointer { pw in
                    y.withUnsafeMutableBufferPointer { py in
                        RowProduct.accumulate(
                            variant: variant, px.baseAddress!, pw.baseAddress!, ldw: ldw,
                            into: py.baseAddress!, k: k, n: n)
                    }
                }
            }
            let expected = Self.naive(x, w, ldw: ldw, y: y0, k: k, n: n)
            // |error| ≤ k·eps·Σ|x_i w_ij| + |y|: bounded by (k + 1)·2⁻²³·(k + 1) for entries in [-1, 1].
            let bound = Double(k + 1) * Double(k + 1) * 0x1p-23
            let worst = zip(y, expected).map { abs(Double($0) - $1) }.max()!
            #expect(worst <= bound, "\(variant.name) k \(k) n \(n): error \(worst) over \(bound)")
            #expect(zip(y, y0).contains { $0 != $1 }, "the product left y as it was")
        }
    }

    @Test(arguments: KernelVariant.supported)
    func aSliceOfColumnsHasTheWholeProductsBits(_ variant: KernelVariant) {
        var rng = SeededRandom(seed: 22)
        let k = 96, n = 1000
        let x = (0..<k).map { _ in rng.uniform(-1, 1) }
        let w = (0..<(k * n)).map { _ in rng.uniform(-1, 1) }
        var whole = [Float](repeating: 0.25, count: n), parts = whole
        x.withUnsafeBufferPointer { px in
            w.withUnsafeBufferPointer { pw in
                whole.withUnsafeMutableBufferPointer {
                    RowProduct.accumulate(variant: variant, px.baseAddress!, pw.baseAddress!, ldw: n, into: $0.baseAddress!, k: k, n: n)
                }
                parts.withUnsafeMutableBufferPointer { py in
                    for (lo, hi) in [(0, 37), (37, 500), (500, 516), (516, 1000)] {
                        RowProduct.accumulate(
                            variant: variant, px.baseAddress!, pw.baseAddress! + lo, ldw: n,
                            into: py.baseAddress! + lo, k: k, n: hi - lo)
                    }
                }
            }
        }
        #expect(whole == parts)
    }
}
