/// The columns of a CSV file a model needs, read in one streaming pass: numeric columns
/// as `Float` (column-major, 4 bytes a cell), text columns (a sequence id, a label) as
/// codes into their distinct values, and an optional time column that orders the rows
/// and is checked for regular spacing.
///
/// ```swift
/// let table = try CSVTable.load(path: "sales.csv", numeric: .named(["sales", "price"]), time: "date",
///                               missing: .linear)
/// table.numeric["sales"]!   // [Float], in time order
/// table.spacing             // .months(1)
/// ```
/// The first line is the header; names are matched exactly (surrounding spaces ignored)
/// and must be unique. Every record must have the header's number of fields; a blank
/// line is skipped (as pandas does). Errors name
/// the line and the column and say what to do (`CSVError`).
/// - Complexity: O(bytes of the file) to read, O(rows · log rows) to order by time;
///   memory 4 bytes per numeric cell, 4 per text cell, 4 per row for its line number.
public struct CSVTable: Sendable {
    /// Which columns are read as numbers.
    public enum NumericColumns: Sendable {
        case named([String])
        /// Every column whose first data row holds a number (or a missing value), but
        /// these (the time, id and label columns, say).
        case allNumeric(except: Set<String>)
    }

    /// A text column: each row's code, and the distinct values by code (in order of
    /// first appearance).
    public struct TextColumn: Sendable {
        public var codes: [Int32]
        public var values: [String]
    }

    public let path: String
    /// The header's names, in file order.
    public let header: [String]
    /// The numeric columns read, in the order asked for (or file order).
    public let numericNames: [String]
    public private(set) var numeric: [String: [Float]]
    public private(set) var text: [String: TextColumn]
    /// The time column's values (empty without one), in row order.
    public private(set) var times: [TimeStamp]
    /// The spacing of `times` (nil without a time column, or with grouped rows).
    public let spacing: TimeSpacing?
    /// Each row's line in the file.
    public private(set) var lines: [Int32]

    /// The number of data rows.
    public let rowCount: Int

    /// Takes numeric column `name` out of the table (it is no longer in `numeric`), and
    /// with it the per-row times and line numbers (`times` keeps its last value): for a
    /// caller that turns a large table into model columns without a second copy.
    /// - Precondition: `name` is in `numeric`.
    public mutating func takeNumericColumn(_ name: String) -> [Float] {
        if times.count > 1 { times = [times.last!] }
        lines = []
        return numeric.removeValue(forKey: name)!
    }

    /// Reads `path`.
    /// - Parameters:
    ///   - path: the CSV file.
    ///   - numeric: the columns read as numbers.
    ///   - text: columns read as text (an id, a label).
    ///   - time: the column that orders the rows: sorted by it (stably) and, unless
    ///     `groupedBy` is given, checked for duplicates and regular spacing.
    ///   - groupedBy: with a time column, rows are ordered by time within each value of
    ///     this text column (which must be in `text`), and spacing is not checked.
    ///   - missing: what becomes of missing numeric cells (after ordering).
    public static func load(
        path: String, numeric: NumericColumns, text: [String] = [], time: String? = nil, groupedBy: String? = nil,
        missing: MissingValues = .error
    ) throws(CSVError) -> CSVTable {
        var reader = try CSVReader(path: path)
        var record = CSVRecord()
        guard try reader.next(into: &record) else {
            throw CSVError(path: path, "the file is empty; a CSV file needs a header line naming its columns, then data rows")
        }
        var header: [String] = []
        for i in 0..<record.count {
            guard let name = record.string(i) else {
                throw CSVError(path: path, line: 1, column: i + 1, "the header is not UTF-8 text")
            }
            header.append(name.trimmingSpaces)
        }
        var seen: [String: Int] = [:]
        for (i, name) in header.enumerated() {
            if let first = seen[name] {
                throw CSVError(
                    path: path, line: 1, column: i + 1,
                    "the column name '\(name)' appears twice (columns \(first + 1) and \(i + 1)); rename one")
            }
            seen[name] = i
        }
        func column(_ name: String, _ role: String) throws(CSVError) -> Int {
            guard let index = seen[name] else {
                let known = header.prefix(12).map { "'\($0)'" }.joined(separator: ", ") + (header.count > 12 ? ", ..." : "")
                throw CSVError(path: path, line: 1, "no column named '\(name)' (\(role)); the header has \(known)")
            }
            return index
        }
        let textIndices = try text.map { (n: String) throws(CSVError) in try column(n, "text") }
        let timeIndex = try time.map { (n: String) throws(CSVError) in try column(n, "time") }
        if let groupedBy, !text.contains(groupedBy) { preconditionFailure("groupedBy '\(groupedBy)' must be one of the text columns") }

        let headerBytes = reader.bytesRead
        guard try reader.next(into: &record) else {
            throw CSVError(path: path, line: 1, "the file has a header but no data rows")
        }
        var numericNames: [String]
        switch numeric {
        case .named(let names):
            numericNames = names
            for n in names { _ = try column(n, "numeric") }
        case .allNumeric(let except):
            numericNames = header.indices.filter { i in
                guard !except.contains(header[i]), i < record.count else { return false }
                let cell = CSVNumber.parse(record.field(i))
                return cell != .text
            }.map { header[$0] }
        }
        let numericIndices = numericNames.map { seen[$0]! }
        var numericValues = [[Float]](repeating: [], count: numericIndices.count)
        var textValues = text.map { _ in TextColumn(codes: [], values: []) }
        var textCodes = text.map { _ in [String: Int32]() }
        var times: [TimeStamp] = []
        var lines: [Int32] = []
        // Room for the rows the file's size suggests (from its header and first row), so
        // that growing the columns does not double them past what they hold.
        // (Pages reserved but never written cost no resident memory.)
        let rowBytes = max(reader.bytesRead - headerBytes, 1)
        let estimatedRows = min((reader.fileSize - headerBytes) / rowBytes * 5 / 4 + 16, 1 << 31)
        for k in numericValues.indices { numericValues[k].reserveCapacity(estimatedRows) }
        lines.reserveCapacity(estimatedRows)
        if timeIndex != nil { times.reserveCapacity(estimatedRows) }
        repeat {
            let line = reader.line
            if record.count == 1 && record.field(0).isEmpty { continue }  // a blank line is skipped, as pandas does
            guard record.count == header.count else {
                throw CSVError(
                    path: path, line: line,
                    "\(record.count) field\(record.count == 1 ? "" : "s"), the header has \(header.count); every row needs one value per column (quote fields that contain commas)"
                )
            }
            lines.append(Int32(truncatingIfNeeded: line))
            for (k, i) in numericIndices.enumerated() {
                switch CSVNumber.parse(record.field(i)) {
                case .value(let v):
                    guard abs(v) <= Double(Float.greatestFiniteMagnitude) else {
                        throw CSVError(path: path, line: line, column: i + 1, "\(v) in column '\(header[i])' is too large for a Float")
                    }
                    numericValues[k].append(Float(v))
                case .missing: numericValues[k].append(.nan)
                case .infinite:
                    throw CSVError(
                        path: path, line: line, column: i + 1,
                        "'\(record.string(i) ?? "?")' in column '\(header[i])' is infinite; a measurement must be finite (leave the cell empty for a missing value)"
                    )
                case .text:
                    throw CSVError(
                        path: path, line: line, column: i + 1,
                        "'\(String(decoding: record.field(i).prefix(40), as: UTF8.self))' in column '\(header[i])' is not a number")
                }
            }
            for (k, i) in textIndices.enumerated() {
                guard let value = record.string(i) else {
                    throw CSVError(path: path, line: line, column: i + 1, "column '\(header[i])' is not UTF-8 text")
                }
                let v = value.trimmingSpaces
                if let code = textCodes[k][v] {
                    textValues[k].codes.append(code)
                } else {
                    let code = Int32(textValues[k].values.count)
                    textCodes[k][v] = code
                    textValues[k].values.append(v)
                    textValues[k].codes.append(code)
                }
            }
            if let t = timeIndex {
                guard let stamp = TimeStamp.parse(record.field(t)) else {
                    throw CSVError(
                        path: path, line: line, column: t + 1,
                        "'\(String(decoding: record.field(t).prefix(40), as: UTF8.self))' in the time column '\(header[t])' is neither a number nor a date (2024-03-01, 2024-03, 2024-03-01 12:30:00)"
                    )
                }
                times.append(stamp)
            }
        } while try reader.next(into: &record)
        guard !lines.isEmpty else { throw CSVError(path: path, line: 1, "the file has a header but no data rows") }

        var table = CSVTable(
            path: path, header: header, numericNames: numericNames,
            numeric: Dictionary(uniqueKeysWithValues: zip(numericNames, numericValues)),
            text: Dictionary(uniqueKeysWithValues: zip(text, textValues)), times: times, spacing: nil, lines: lines)
        if let timeIndex {
            let group = groupedBy.map { table.text[$0]!.codes }
            table.order(by: group)
            if group == nil {
                table = try table.checkedSpacing(timeName: header[timeIndex])
            }
        }
        for name in numericNames {
            if let bad = missing.fill(&table.numeric[name]!) {
                throw CSVError(
                    path: path, line: Int(table.lines[bad]), column: seen[name]! + 1,
                    missing == .error
                        ? "column '\(name)' has a missing value; fill it in, or choose how to fill gaps (previous, linear or zero)"
                        : "column '\(name)' starts with a missing value, which has no previous value; use linear filling or fill it in")
            }
        }
        return table
    }

    private init(
        path: String, header: [String], numericNames: [String], numeric: [String: [Float]], text: [String: TextColumn],
        times: [TimeStamp], spacing: TimeSpacing?, lines: [Int32]
    ) {
        self.path = path
        self.header = header
        self.numericNames = numericNames
        self.numeric = numeric
        self.text = text
        self.times = times
        self.spacing = spacing
        self.lines = lines
        rowCount = lines.count
    }

    /// Sorts the rows by time (stably), within each group code when given.
    private mutating func order(by group: [Int32]?) {
        let times = self.times
        let before = { (a: Int, b: Int) -> Bool in
            if let group, group[a] != group[b] { return group[a] < group[b] }
            return times[a] < times[b] || (times[a] == times[b] && a < b)
        }
        // A file already in order (the usual case) costs one pass and no index array.
        guard (1..<max(times.count, 1)).contains(where: { before($0, $0 - 1) }) else { return }
        let order = times.indices.sorted(by: before)
        self.times = order.map { times[$0] }
        lines = order.map { lines[$0] }
        for name in numeric.keys { numeric[name] = order.map { numeric[name]![$0] } }
        for name in text.keys { text[name]!.codes = order.map { text[name]!.codes[$0] } }
    }

    /// This table with `spacing` set, or an error at a repeated time or an irregular step.
    private func checkedSpacing(timeName: String) throws(CSVError) -> CSVTable {
        if let dup = (1..<max(times.count, 1)).first(where: { times[$0].value == times[$0 - 1].value }) {
            throw CSVError(
                path: path, line: Int(lines[dup]),
                "the time '\(timeName)' repeats the one of line \(lines[dup - 1]); each time may appear once (aggregate the rows first)")
        }
        guard times.count >= 2 else { return self }
        switch TimeSpacing.of(times) {
        case .success(let spacing):
            return CSVTable(
                path: path, header: header, numericNames: numericNames, numeric: numeric, text: text, times: times,
                spacing: spacing, lines: lines)
        case .failure(let irregular):
            let r = irregular.row
            throw CSVError(
                path: path, line: Int(lines[r]),
                "the time column '\(timeName)' is not regularly spaced: the step to this row (from line \(lines[r - 1])) differs from the first step (lines \(lines[0]) to \(lines[1])); resample the series to one step, or fill the missing times"
            )
        }
    }
}
