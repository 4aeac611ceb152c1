import Linalg
import Testing

struct ElementwiseTests {
    @Test func arithmeticMatchesScalarReference() {
        var rng = SeededRandom(seed: 21)
        let a = Matrix.random(5, 7, using: &rng)
        let b = Matrix.random(5, 7, using: &rng)
        let sum = a + b, diff = a - b
        var prod = a
        prod.multiply(b)
        var axpy = a
        axpy.add(b, scaledBy: -3)
        for i in 0..<a.count {
            #expect(abs(sum.storage[i] - (a.storage[i] + b.storage[i])) < 1e-6)
            #expect(abs(diff.storage[i] - (a.storage[i] - b.storage[i])) < 1e-6)
            #expect(prod.storage[i] == a.storage[i] * b.storage[i])
            #expect(abs(axpy.storage[i] - (a.storage[i] - 3 * b.storage[i])) < 1e-6)
            #expect((2 * a).storage[i] == 2 * a.storage[i])
        }
    }

    @Test func broadcastAndReductions() {
        var m = Matrix(rows: [[1, 2, 3], [4, 5, 6]])
        #expect(m.columnSums() == [5, 7, 9])
        #expect(m.rowSums() == [6, 15])
        #expect(m.sumOfSquares() == 91)
        #expect(abs(m.norm() - Float(91.0.squareRoot())) < 1e-6)
        m.addRowVector([10, 20, 30])
        #expect(m.storage == [11, 22, 33, 14, 25, 36])
        #expect(m.map { $0 - 10 }.storage == [1, 12, 23, 4, 15, 26])
        m.apply { -$0 }
        #expect(m.storage.first == -11)
        m.scale(by: 0)
        #expect(m.storage.allSatisfy { $0 == 0 })
    }

    @Test func reluAndDerivativeKernels() {
        var x: [Float] = [-2, -0.5, 0, 0.5, 3, -1, 2, 4, -7]
        let y = x.map { max($0, 0) }
        x.withUnsafeMutableBufferPointer { Vector.relu($0.baseAddress!, count: $0.count) }
        #expect(x == y)
        var g: [Float] = [1, 1, 1, 1, 1, 1, 1, 1, 1]
        g.withUnsafeMutableBufferPointer { pg in
            y.withUnsafeBufferPointer { Vector.multiplyByReluDerivative(pg.baseAddress!, output: $0.baseAddress!, count: 9) }
        }
        #expect(g == y.map { $0 > 0 ? 1 : 0 })
        let h: [Float] = [0.5, -0.25, 0.9]
        var d: [Float] = [2, 2, 2]
        d.withUnsafeMutableBufferPointer { pd in
            h.withUnsafeBufferPointer { Vector.multiplyByTanhDerivative(pd.baseAddress!, output: $0.baseAddress!, count: 3) }
        }
        #expect(d == h.map { 2 * (1 - $0 * $0) })
    }

    @Test func axpyAndColumnSumsMatchLoops() {
        var rng = SeededRandom(seed: 5)
        let rows = 7, cols = 19
        let x = (0..<rows * cols).map { _ in rng.uniform(-1, 1) }
        var y = (0..<cols).map { _ in rng.uniform(-1, 1) }
        var expected = y
        for j in 0..<cols { expected[j] += x[3 * cols + j] }
        x.withUnsafeBufferPointer { px in
            y.withUnsafeMutableBufferPointer { BLAS.axpy(count: cols, alpha: 1, x: px.baseAddress! + 3 * cols, y: $0.baseAddress!) }
        }
        #expect(y == expected)
        for i in 0..<rows { for j in 0..<cols { expected[j] += x[i * cols + j] } }
        x.withUnsafeBufferPointer { px in
            y.withUnsafeMutableBufferPointer { Vector.addColumnSums(of: px.baseAddress!, rows: rows, cols: cols, into: $0.baseAddress!) }
        }
        for j in 0..<cols { #expect(abs(y[j] - expected[j]) <= 1e-5) }
    }

    @Test func seededRandomIsReproducibleAndInRange() {
        var a = SeededRandom(seed: 99), b = SeededRandom(seed: 99), c = SeededRandom(seed: 100)
        let xs = (0..<1000).map { _ in a.uniform(-2, 3) }
        let ys = (0..<1000).map { _ in b.uniform(-2, 3) }
        let zs = (0..<1000).map { _ in c.uniform(-2, 3) }
        #expect(xs == ys)
        #expect(xs != zs)
        #expect(xs.allSatisfy { $0 >= -2 && $0 < 3 })
        let mean = xs.reduce(0, +) / 1000
        #expect(abs(mean - 0.5) < 0.15)
        var n = SeededRandom(seed: 1)
        let normals = (0..<20000).map { _ in Double(n.normal()) }
        let m = normals.reduce(0, +) / 20000
        let v = normals.reduce(0) { $0 + ($1 - m) * ($1 - m) } / 20000
        #expect(abs(m) < 0.03 && abs(v - 1) < 0.05)
        var saved = SeededRandom(seed: 5)
        _ = saved.next32()
        let state = saved.state
        let next = saved.next32()
        var restored = SeededRandom(seed: 0)
        restored.state = state
        #expect(restored.next32() == next)
    }
}
