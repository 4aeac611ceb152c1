import RNN
import SafeTensors

/// The loss history of a training run: one row per optimizer step (the validation loss
/// on the last step of each epoch). Stored in checkpoints as `history.*` tensors so a
/// resumed run's CSV and plot cover the whole run; written as CSV by `--history`.
struct History {
    struct Row: Equatable {
        var step: Int
        /// The 1-based epoch the step belongs to.
        var epoch: Int
        var trainLoss: Float
        var validationLoss: Float?
        var tokensPerSecond: Float
        var learningRate: Float
    }

    private(set) var rows: [Row] = []

    static let csvHeader = "step,epoch,train_loss,val_loss,tokens_per_second,learning_rate"
    static let tensorNames = ["history.step", "history.epoch", "history.train_loss", "history.val_loss",
                              "history.tokens_per_second", "history.learning_rate"]

    mutating func append(_ row: Row) { rows.append(row) }

    /// Sets the validation loss of the last row.
    mutating func setLastValidationLoss(_ loss: Double) {
        guard !rows.isEmpty else { return }
        rows[rows.count - 1].validationLoss = Float(loss)
    }

    /// The CSV text (header, then one line per row; an empty `val_loss` when there is none).
    var csv: String {
        var out = Self.csvHeader + "\n"
        for r in rows {
            let val = r.validationLoss.map { "\($0)" } ?? ""
            out += "\(r.step),\(r.epoch),\(r.trainLoss),\(val),\(r.tokensPerSecond.isFinite ? String(Int(r.tokensPerSecond.rounded())) : ""),\(r.learningRate)\n"
        }
        return out
    }

    /// The rows as checkpoint tensors (a missing validation loss is NaN).
    var tensors: [String: SafeTensors.Tensor] {
        let n = rows.count
        let columns: [[Float]] = [
            rows.map { Float($0.step) }, rows.map { Float($0.epoch) }, rows.map(\.trainLoss),
            rows.map { $0.validationLoss ?? .nan }, rows.map(\.tokensPerSecond), rows.map(\.learningRate),
        ]
        var out: [String: SafeTensors.Tensor] = [:]
        for (name, values) in zip(Self.tensorNames, columns) { out[name] = .init(shape: [n], values: values) }
        return out
    }

    init() {}

    /// The history stored in a checkpoint's extra tensors; empty when absent or inconsistent
    /// (a history is informative: a damaged one is dropped, not fatal).
    init(tensors: [String: SafeTensors.Tensor]) {
        let columns = Self.tensorNames.map { tensors[$0] }
        guard columns.allSatisfy({ $0 != nil && $0!.shape.count == 1 }),
              Set(columns.map { $0!.values.count }).count == 1 else { return }
        let c = columns.map { $0!.values }
        for i in 0..<c[0].count {
            guard abs(c[0][i]) < 1e9, abs(c[1][i]) < 1e9 else { rows = []; return }
            rows.append(Row(step: Int(c[0][i]), epoch: Int(c[1][i]), trainLoss: c[2][i],
                            validationLoss: c[3][i].isNaN ? nil : c[3][i], tokensPerSecond: c[4][i],
                            learningRate: c[5][i]))
        }
    }
}
