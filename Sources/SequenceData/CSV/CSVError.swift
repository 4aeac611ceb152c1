/// Why a CSV file could not be read: each case names the file's line (1-based, where the
/// record starts) and, where one is at fault, the column (1-based, and its header name
/// when known), and says what to do.
public struct CSVError: Error, Equatable, CustomStringConvertible {
    public let path: String
    /// The line of the record at fault (0: the file as a whole).
    public let line: Int
    /// The column at fault (1-based; 0: none in particular).
    public let column: Int
    public let reason: String

    public init(path: String, line: Int = 0, column: Int = 0, _ reason: String) {
        self.path = path
        self.line = line
        self.column = column
        self.reason = reason
    }

    /// `data.csv, line 12, column 3: 'abc' is not a number`.
    public var description: String {
        var place = "'\(path)'"
        if line > 0 { place += ", line \(line)" }
        if column > 0 { place += ", column \(column)" }
        return "\(place): \(reason)"
    }
}
