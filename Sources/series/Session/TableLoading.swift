import SequenceData
import _ToolSupport

/// Reading the CSV file with errors as one `error:` line.
enum TableLoading {
    static func load(
        _ path: String, numeric: CSVTable.NumericColumns, text: [String] = [], time: String?, groupedBy: String? = nil,
        fill: MissingValues
    ) throws -> CSVTable {
        do {
            return try CSVTable.load(path: path, numeric: numeric, text: text, time: time, groupedBy: groupedBy, missing: fill)
        } catch {
            let hint = error.reason.contains("missing value") && fill == .error ? " (--fill previous|linear|zero)" : ""
            throw CLIError("--csv \(error)\(hint)")
        }
    }
}
