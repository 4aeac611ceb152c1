import Linalg
import Testing

/// `RowProduct.dots` (one row against each row of a matrix, attention's scores) in every
/// variant this processor runs: against a double-precision sum, with lengths around the
/// 16-wide partial sums and row counts around the groups of four; it overwrites `y`; and a
/// row's dot has the same bits alone as in any group.
struct RowDotsTests {
    static func dots(
        _ variant: KernelVariant, _ x: [Float], _ w: [Float], offset: Int = 0, ldw: Int, k: Int, n: Int, y: inout [Float]
    ) {
        x.withUnsafeBufferPointer { px in
            w.withUnsafeBufferPointer { pw in
                y.withUnsafeMutableBufferPointer { py in
                    RowProduct.dots(
                        variant: variant, px.baseAddress!, rows: pw.baseAddress! + offset * ldw, ldw: ldw,
                        into: py.baseAddress! + offset, k: k, n: n)
                }
            }
        }
    }

    @Test(arguments: KernelVariant.supported)
    func matchesTheNaiveSum(_ variant: KernelVariant) {
        var rng = SeededRandom(seed: 23)
        for (k, n, ldw) in [(1, 1, 1), (15, 3, 15), (16, 4, 16), (17, 5, 20), (256, 22, 256), (300, 9, 301), (40, 8, 64)] {
            let x = (0..<k).map { _ in rng.uniform(-1, 1) }
            let w = (0..<(n * ldw)).map { _ in rng.uniform(-1, 1) }
            var y = [Float](repeating: .nan, count: n)
            Self.dots(variant, x, w, ldw: ldw, k: k, n: n, y: &y)
            let expected = (0..<n).map { j in (0..<k).reduce(0.0) { $0 + Double(x[$1]) * Double(w[j * ldw + $1]) } }
            // |error| ≤ (k + 1)·2⁻²⁴·Σ|x_i w_ji| ≤ (k + 1)·k·2⁻²⁴ for entries in [-1, 1].
            let bound = Double(k + 1) * Double(k) * 0x1p-24
            let worst = zip(y, expected).map { abs(Double($0) - $1) }.max()!
            #expect(worst <= bound, "\(variant.name) k \(k) n \(n): error \(worst) over \(bound)")
        }
    }

    @Test(arguments: KernelVariant.supported)
    func aRowsDotDoesNotDependOnItsGroup(_ variant: KernelVariant) {
        var rng = SeededRandom(seed: 24)
        let k = 83, n = 22
        let x = (0..<k).map { _ in rng.uniform(-1, 1) }
        let w = (0..<(n * k)).map { _ in rng.uniform(-1, 1) }
        var whole = [Float](repeating: 0, count: n), alone = whole
        Self.dots(variant, x, w, ldw: k, k: k, n: n, y: &whole)
        for j in 0..<n { Self.dots(variant, x, w, offset: j, ldw: k, k: k, n: 1, y: &alone) }
        #expect(whole == alone)
    }
}
