import ArgumentParser
import Foundation
import SequenceData
import _ToolSupport

/// The task a model is trained for.
enum Task: String, ExpressibleByArgument, CaseIterable {
    case forecast
    case classify
}

extension MissingValues: ExpressibleByArgument {}
extension Scaler.Kind: ExpressibleByArgument {}

/// Which columns of the CSV file are what.
struct DataOptions: ParsableArguments {
    @Option(help: ArgumentHelp("The CSV file (a header line naming the columns, then one row per step).", valueName: "file"))
    var csv: String

    @Option(help: ArgumentHelp("forecast: predict future values of --target; classify: label each --id's sequence.", valueName: "task"))
    var task: Task = .forecast

    @Option(help: ArgumentHelp("forecast: the column(s) to forecast, comma-separated.", valueName: "columns"))
    var target: String?

    @Option(
        help: ArgumentHelp(
            "Input columns, comma-separated (default: every numeric column not otherwise named).", valueName: "columns"))
    var features: String?

    @Option(help: ArgumentHelp("The column that orders the rows (numbers or dates such as 2024-03-01).", valueName: "column"))
    var time: String?

    @Option(help: ArgumentHelp("classify: the column naming each row's sequence.", valueName: "column"))
    var id: String?

    @Option(help: ArgumentHelp("classify: the column holding each sequence's label.", valueName: "column"))
    var label: String?

    @Option(
        help: ArgumentHelp(
            "Missing cells (empty, NA, NaN): an error, or filled from the previous value, a straight line, or zero.",
            valueName: "error|previous|linear|zero"))
    var fill: MissingValues = .error

    /// `a,b` as `["a", "b"]`.
    static func list(_ text: String?) -> [String]? {
        text.map { $0.split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty } }
    }

    /// The columns each task needs (a resumed run takes them from its checkpoint).
    func checkTaskColumns() throws {
        switch task {
        case .forecast:
            guard let targets = Self.list(target), !targets.isEmpty else {
                throw CLIError("--task forecast needs --target COLUMN (the column to forecast)")
            }
            if id != nil || label != nil { throw CLIError("--id and --label are for --task classify") }
        case .classify:
            guard id != nil, label != nil else { throw CLIError("--task classify needs --id COLUMN and --label COLUMN") }
            if target != nil { throw CLIError("--target is for --task forecast; a classifier's output is --label") }
        }
    }
}
