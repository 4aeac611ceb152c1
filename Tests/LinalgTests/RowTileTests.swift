import Linalg
import Testing

/// The few-row products of attention's decoding steps, in every variant this processor
/// runs: `RowProduct.dots` (rows against each row of a matrix: a beam's scores) against a
/// double-precision sum, overwriting `y`, with a dot's bits the same in any tile, at any
/// position and in the AVX2 and AVX-512 variants; and the multi-row `accumulate` (rows
/// times a matrix: a beam's contexts) giving each row the bits of the one-row `accumulate`.
/// Row counts around the tiles of 6, lengths around the 8-wide partial sums, widths around
/// the tiles of 8, 16 and 32 columns.
struct RowTileTests {
    static func dots(
        _ variant: KernelVariant, rows: Int, _ x: [Float], ldx: Int, _ w: [Float], ldw: Int, k: Int, n: Int,
        y: inout [Float], ldy: Int, row: Int = 0, column: Int = 0
    ) {
        x.withUnsafeBufferPointer { px in
            w.withUnsafeBufferPointer { pw in
                y.withUnsafeMutableBufferPointer { py in
                    RowProduct.dots(
                        variant: variant, rows: rows, px.baseAddress! + row * ldx, ldx: ldx,
                        against: pw.baseAddress! + column * ldw, ldw: ldw, into: py.baseAddress! + row * ldy + column,
                        ldy: ldy, k: k, n: n)
                }
            }
        }
    }

    static func random(_ count: Int, _ rng: inout SeededRandom) -> [Float] { (0..<count).map { _ in rng.uniform(-1, 1) } }

    @Test(arguments: KernelVariant.supported)
    func dotsMatchTheNaiveSum(_ variant: KernelVariant) {
        var rng = SeededRandom(seed: 23)
        for (rows, k, n) in [(1, 1, 1), (5, 7, 3), (6, 8, 4), (7, 9, 5), (13, 256, 22), (3, 300, 9), (5, 256, 69), (2, 40, 1)] {
            let (ldx, ldw, ldy) = (k + 3, k + 1, n + 2)
            let x = Self.random(rows * ldx, &rng), w = Self.random(n * ldw, &rng)
            var y = [Float](repeating: .nan, count: rows * ldy)
            Self.dots(variant, rows: rows, x, ldx: ldx, w, ldw: ldw, k: k, n: n, y: &y, ldy: ldy)
            // |error| ≤ (k + 1)·2⁻²⁴·Σ|x_i w_ji| ≤ (k + 1)·k·2⁻²⁴ for entries in [-1, 1].
            let bound = Double(k + 1) * Double(k) * 0x1p-24
            for r in 0..<rows {
                for j in 0..<n {
                    let expected = (0..<k).reduce(0.0) { $0 + Double(x[r * ldx + $1]) * Double(w[j * ldw + $1]) }
                    let deviation = abs(Double(y[r * ldy + j]) - expected)
                    #expect(
                        deviation <= bound, "\(variant.name) rows \(rows) k \(k) n \(n) at (\(r), \(j)): error \(deviation) over \(bound)")
                }
                let past = y[(r * ldy + n)..<(r * ldy + ldy)]
                #expect(past.allSatisfy { $0.isNaN }, "wrote past n")
            }
        }
    }

    @Test(arguments: KernelVariant.supported)
    func aDotDoesNotDependOnItsTile(_ variant: KernelVariant) {
        var rng = SeededRandom(seed: 24)
        let rows = 13, k = 83, n = 23
        let x = Self.random(rows * k, &rng), w = Self.random(n * k, &rng)
        var whole = [Float](repeating: 0, count: rows * n), alone = whole
        Self.dots(variant, rows: rows, x, ldx: k, w, ldw: k, k: k, n: n, y: &whole, ldy: n)
        for r in 0..<rows {
            for j in 0..<n { Self.dots(variant, rows: 1, x, ldx: k, w, ldw: k, k: k, n: 1, y: &alone, ldy: n, row: r, column: j) }
        }
        #expect(whole == alone)
    }

    @Test(.enabled(if: KernelVariant.supported.contains(.avx512), "needs AVX-512 to compare it with AVX2"))
    func avx2AndAVX512DotsAgree() {
        var rng = SeededRandom(seed: 25)
        let rows = 7, k = 259, n = 31
        let x = Self.random(rows * k, &rng), w = Self.random(n * k, &rng)
        var avx2 = [Float](repeating: 0, count: rows * n), avx512 = avx2
        Self.dots(.avx2, rows: rows, x, ldx: k, w, ldw: k, k: k, n: n, y: &avx2, ldy: n)
        Self.dots(.avx512, rows: rows, x, ldx: k, w, ldw: k, k: k, n: n, y: &avx512, ldy: n)
        #expect(avx2 == avx512)
    }

    @Test(arguments: KernelVariant.supported)
    func rowsAccumulateAsEachRowAlone(_ variant: KernelVariant) {
        var rng = SeededRandom(seed: 26)
        for (rows, k, n) in [(1, 1, 1), (5, 69, 256), (6, 30, 37), (7, 17, 13), (13, 5, 8), (2, 64, 31), (11, 9, 100)] {
            let (ldx, ldw, ldy) = (k + 2, n + 5, n + 3)
            let x = Self.random(rows * ldx, &rng), w = Self.random(k * ldw, &rng)
            let start = Self.random(rows * ldy, &rng)
            var tiled = start, alone = start
            x.withUnsafeBufferPointer { px in
                w.withUnsafeBufferPointer { pw in
                    tiled.withUnsafeMutableBufferPointer { py in
                        RowProduct.accumulate(
                            variant: variant, rows: rows, px.baseAddress!, ldx: ldx, pw.baseAddress!, ldw: ldw,
                            into: py.baseAddress!, ldy: ldy, k: k, n: n)
                    }
                    alone.withUnsafeMutableBufferPointer { py in
                        for r in 0..<rows {
                            RowProduct.accumulate(
                                variant: variant, px.baseAddress! + r * ldx, pw.baseAddress!, ldw: ldw,
                                into: py.baseAddress! + r * ldy, k: k, n: n)
                        }
                    }
                }
            }
            #expect(tiled == alone, "\(variant.name) rows \(rows) k \(k) n \(n)")
            // And it is the product: against a double-precision sum.
            let bound = Double(k + 2) * Double(k + 1) * 0x1p-24
            let worst = (0..<rows).flatMap { r in
                (0..<n).map { j in
                    let expected = (0..<k).reduce(Double(start[r * ldy + j])) { $0 + Double(x[r * ldx + $1]) * Double(w[$1 * ldw + j]) }
                    return abs(Double(tiled[r * ldy + j]) - expected)
                }
            }.max()!
            #expect(worst <= bound, "\(variant.name) rows \(rows) k \(k) n \(n): error \(worst) over \(bound)")
            #expect((0..<rows).allSatisfy { r in tiled[(r * ldy + n)..<(r * ldy + ldy)] == start[(r * ldy + n)..<(r * ldy + ldy)] })
        }
    }
}
