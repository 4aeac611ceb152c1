import Linalg
import RNN
import _ToolSupport

extension MemoryBudget {
    /// Refuses a forward over `rows = T·B` rows whose workspaces (the model's, and the
    /// logits with their gradient) would not fit: `diagnose`'s chunk, `eval`'s streams,
    /// `sample`'s prime.
    static func requireForward(
        _ model: ManyToManyModel.Configuration, rows: Int, batchSize: Int, precision: Precision = .fp32,
        what: String = "measuring", hint: String = "make --horizon, --seq-length or --batch-size smaller"
    ) throws {
        let bytes =
            4
            * (model.workspaceFloats(rows: rows, batchSize: batchSize, precision: precision)
                + 2 * Double(rows * model.outputSize)
                + model.precisionCopyFloats(precision))
        try require(bytes, "\(what) \(Format.count(rows)) rows", hint: hint)
    }
}
