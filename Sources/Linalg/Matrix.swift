/// A dense, row-major matrix of `Float` with value semantics.
///
/// Element `(i, j)` lives at `storage[i * cols + j]`. Copies share storage
/// until one of them is mutated (copy-on-write through `Array`).
///
/// ```swift
/// var m = Matrix(rows: [[1, 2, 3], [4, 5, 6]])   // [2, 3]
/// m[1, 2] = 7
/// let t = m.transposed()                          // [3, 2]
/// ```
public struct Matrix: Equatable, Sendable, CustomStringConvertible {
    /// Number of rows.
    public let rows: Int
    /// Number of columns.
    public let cols: Int
    /// The `rows * cols` elements in row-major order.
    public var storage: [Float]

    /// A `rows x cols` matrix with every element equal to `value`.
    /// - Complexity: O(rows * cols).
    public init(rows: Int, cols: Int, repeating value: Float = 0) {
        precondition(rows >= 0 && cols >= 0, "Matrix shape must be non-negative, got [\(rows), \(cols)]")
        self.rows = rows
        self.cols = cols
        self.storage = [Float](repeating: value, count: rows * cols)
    }

    /// A `rows x cols` matrix of zeros.
    public static func zeros(_ rows: Int, _ cols: Int) -> Matrix {
        Matrix(rows: rows, cols: cols)
    }

    /// A matrix over `storage` (row-major, `rows * cols` elements).
    public init(rows: Int, cols: Int, storage: [Float]) {
        precondition(rows >= 0 && cols >= 0, "Matrix shape must be non-negative, got [\(rows), \(cols)]")
        precondition(
            storage.count == rows * cols,
            "Matrix [\(rows), \(cols)] needs \(rows * cols) elements, got \(storage.count)")
        self.rows = rows
        self.cols = cols
        self.storage = storage
    }

    /// A matrix from an array of equally long rows.
    public init(rows rowArrays: [[Float]]) {
        let cols = rowArrays.first?.count ?? 0
        for (i, row) in rowArrays.enumerated() {
            precondition(row.count == cols, "Row \(i) has \(row.count) elements, expected \(cols)")
        }
        self.init(rows: rowArrays.count, cols: cols, storage: rowArrays.flatMap { $0 })
    }

    /// The `n x n` identity matrix.
    public static func identity(_ n: Int) -> Matrix {
        var m = Matrix(rows: n, cols: n)
        for i in 0..<n { m.storage[i * n + i] = 1 }
        return m
    }

    /// A matrix whose element `(i, j)` is `body(i, j)`.
    public init(rows: Int, cols: Int, _ body: (Int, Int) -> Float) {
        self.init(rows: rows, cols: cols)
        for i in 0..<rows {
            for j in 0..<cols { storage[i * cols + j] = body(i, j) }
        }
    }

    /// `(rows, cols)`.
    public var shape: (rows: Int, cols: Int) { (rows, cols) }

    /// Number of elements.
    public var count: Int { rows * cols }

    /// Element `(i, j)`. Bounds are checked.
    public subscript(i: Int, j: Int) -> Float {
        get {
            precondition(
                i >= 0 && i < rows && j >= 0 && j < cols,
                "Index (\(i), \(j)) out of range for [\(rows), \(cols)]")
            return storage[i * cols + j]
        }
        set {
            precondition(
                i >= 0 && i < rows && j >= 0 && j < cols,
                "Index (\(i), \(j)) out of range for [\(rows), \(cols)]")
            storage[i * cols + j] = newValue
        }
    }

    /// Row `i` as an array.
    public func row(_ i: Int) -> [Float] {
        precondition(i >= 0 && i < rows, "Row \(i) out of range for [\(rows), \(cols)]")
        return Array(storage[i * cols..<(i + 1) * cols])
    }

    /// Replaces row `i`.
    public mutating func setRow(_ i: Int, _ values: [Float]) {
        precondition(i >= 0 && i < rows, "Row \(i) out of range for [\(rows), \(cols)]")
        precondition(values.count == cols, "Row needs \(cols) elements, got \(values.count)")
        storage.replaceSubrange(i * cols..<(i + 1) * cols, with: values)
    }

    /// Column `j` as an array.
    public func column(_ j: Int) -> [Float] {
        precondition(j >= 0 && j < cols, "Column \(j) out of range for [\(rows), \(cols)]")
        return (0..<rows).map { storage[$0 * cols + j] }
    }

    /// The transpose, `[cols, rows]`.
    /// - Complexity: O(rows * cols).
    public func transposed() -> Matrix {
        var t = Matrix(rows: cols, cols: rows)
        storage.withUnsafeBufferPointer { src in
            t.storage.withUnsafeMutableBufferPointer { dst in
                for i in 0..<rows {
                    for j in 0..<cols { dst[j * rows + i] = src[i * cols + j] }
                }
            }
        }
        return t
    }

    /// The same elements read as a `[rows, cols]` matrix; the counts must agree.
    public func reshaped(_ rows: Int, _ cols: Int) -> Matrix {
        Matrix(rows: rows, cols: cols, storage: storage)
    }

    public var description: String {
        var lines: [String] = []
        for i in 0..<rows {
            lines.append("[" + (0..<cols).map { String(storage[i * cols + $0]) }.joined(separator: ", ") + "]")
        }
        return "Matrix[\(rows), \(cols)](\n  " + lines.joined(separator: "\n  ") + ")"
    }
}
