import Linalg
import Testing

struct MatrixTests {
    @Test func initializersAndAccess() {
        var m = Matrix(rows: [[1, 2, 3], [4, 5, 6]])
        #expect(m.rows == 2 && m.cols == 3 && m.count == 6)
        #expect(m[1, 2] == 6)
        m[1, 2] = 7
        #expect(m.storage == [1, 2, 3, 4, 5, 7])
        #expect(m.row(1) == [4, 5, 7])
        #expect(m.column(0) == [1, 4])
        m.setRow(0, [9, 8, 7])
        #expect(m.row(0) == [9, 8, 7])
        #expect(Matrix(rows: 2, cols: 2, repeating: 3).storage == [3, 3, 3, 3])
        #expect(Matrix.identity(2).storage == [1, 0, 0, 1])
        #expect(Matrix(rows: 2, cols: 2) { i, j in Float(10 * i + j) }.storage == [0, 1, 10, 11])
        #expect(Matrix(rows: 3, cols: 2, storage: [1, 2, 3, 4, 5, 6]).reshaped(2, 3).row(1) == [4, 5, 6])
    }

    @Test func valueSemantics() {
        let a = Matrix(rows: [[1, 2]])
        var b = a
        b[0, 0] = 5
        #expect(a[0, 0] == 1 && b[0, 0] == 5)
    }

    @Test func transposeOfRectangular() {
        let m = Matrix(rows: [[1, 2, 3], [4, 5, 6]])
        let t = m.transposed()
        #expect(t.rows == 3 && t.cols == 2)
        #expect(t.storage == [1, 4, 2, 5, 3, 6])
        #expect(t.transposed() == m)
        #expect(Matrix.zeros(0, 3).transposed().shape == (3, 0))
    }
}
