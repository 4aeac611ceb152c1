/// Elementwise and broadcast operations. In-place variants allocate nothing.
extension Matrix {
    private func checkSameShape(_ other: Matrix, _ op: String) {
        precondition(
            rows == other.rows && cols == other.cols,
            "\(op): shapes differ, [\(rows), \(cols)] vs [\(other.rows), \(other.cols)]")
    }

    /// `self += alpha * other` (AXPY). - Complexity: O(count).
    public mutating func add(_ other: Matrix, scaledBy alpha: Float = 1) {
        checkSameShape(other, "add")
        other.storage.withUnsafeBufferPointer { x in
            storage.withUnsafeMutableBufferPointer { y in
                BLAS.axpy(count: x.count, alpha: alpha, x: x.baseAddress!, y: y.baseAddress!)
            }
        }
    }

    /// `self -= other`. - Complexity: O(count).
    public mutating func subtract(_ other: Matrix) { add(other, scaledBy: -1) }

    /// `self ⊙= other` (Hadamard product). - Complexity: O(count).
    public mutating func multiply(_ other: Matrix) {
        checkSameShape(other, "multiply")
        other.storage.withUnsafeBufferPointer { x in
            storage.withUnsafeMutableBufferPointer { y in
                for i in 0..<y.count { y[i] *= x[i] }
            }
        }
    }

    /// `self *= alpha`. - Complexity: O(count).
    public mutating func scale(by alpha: Float) {
        storage.withUnsafeMutableBufferPointer { x in
            for i in 0..<x.count { x[i] *= alpha }
        }
    }

    /// Adds the row vector `v` (`cols` elements) to every row. - Complexity: O(count).
    public mutating func addRowVector(_ v: [Float]) {
        precondition(v.count == cols, "addRowVector: matrix has \(cols) columns, vector has \(v.count) elements")
        let n = cols
        v.withUnsafeBufferPointer { pv in
            storage.withUnsafeMutableBufferPointer { p in
                for i in 0..<rows {
                    let row = p.baseAddress! + i * n
                    for j in 0..<n { row[j] += pv[j] }
                }
            }
        }
    }

    /// The sum of each column, `cols` elements. - Complexity: O(count).
    public func columnSums() -> [Float] {
        var sums = [Float](repeating: 0, count: cols)
        guard count > 0 else { return sums }
        storage.withUnsafeBufferPointer { p in
            sums.withUnsafeMutableBufferPointer { s in
                Vector.addColumnSums(of: p.baseAddress!, rows: rows, cols: cols, into: s.baseAddress!)
            }
        }
        return sums
    }

    /// The sum of each row, `rows` elements. - Complexity: O(count).
    public func rowSums() -> [Float] {
        (0..<rows).map { i in storage[i * cols..<(i + 1) * cols].reduce(0, +) }
    }

    /// The sum of squares of all elements, accumulated in Double. - Complexity: O(count).
    public func sumOfSquares() -> Double {
        storage.withUnsafeBufferPointer { Vector.sumOfSquares($0) }
    }

    /// The Frobenius norm. - Complexity: O(count).
    public func norm() -> Float { Float(sumOfSquares().squareRoot()) }

    /// A matrix of `transform` applied to every element. - Complexity: O(count).
    public func map(_ transform: (Float) -> Float) -> Matrix {
        Matrix(rows: rows, cols: cols, storage: storage.map(transform))
    }

    /// Applies `transform` to every element in place. - Complexity: O(count).
    public mutating func apply(_ transform: (Float) -> Float) {
        storage.withUnsafeMutableBufferPointer { p in
            for i in 0..<p.count { p[i] = transform(p[i]) }
        }
    }

    /// The largest absolute elementwise difference to `other`.
    public func maxAbsDifference(_ other: Matrix) -> Float {
        checkSameShape(other, "maxAbsDifference")
        var m: Float = 0
        for i in 0..<storage.count { m = Swift.max(m, abs(storage[i] - other.storage[i])) }
        return m
    }

    /// Elementwise `tanh`, vectorized (see `Vector.tanh`). - Complexity: O(count).
    public func tanh() -> Matrix {
        var r = self
        r.storage.withUnsafeMutableBufferPointer { Vector.tanh($0) }
        return r
    }

    /// Elementwise `exp`, vectorized (see `Vector.exp`). - Complexity: O(count).
    public func exp() -> Matrix {
        var r = self
        r.storage.withUnsafeMutableBufferPointer { Vector.exp($0) }
        return r
    }

    public static func + (lhs: Matrix, rhs: Matrix) -> Matrix { var r = lhs; r.add(rhs); return r }
    public static func - (lhs: Matrix, rhs: Matrix) -> Matrix { var r = lhs; r.subtract(rhs); return r }
    public static func * (lhs: Float, rhs: Matrix) -> Matrix { var r = rhs; r.scale(by: lhs); return r }
    public static func += (lhs: inout Matrix, rhs: Matrix) { lhs.add(rhs) }
    public static func -= (lhs: inout Matrix, rhs: Matrix) { lhs.subtract(rhs) }
}
