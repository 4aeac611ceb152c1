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
        /// With `--track-gradients`: the global gradient norm before clipping, and whether
        /// clipping changed the gradients.
        var gradientNorm: Float? = nil
        var clipped: Bool? = nil
    }

    /// With `--track-gradients`, per epoch: each parameter's mean gradient norm (before
    /// clipping) over the epoch's steps (a run resumed mid-epoch continues the sums the
    /// checkpoint kept), the share of those steps clipped, and per layer the k at which the gradient flow on the first training
    /// chunk has fallen 100-fold (nil: not within the horizon).
    struct EpochGradients: Equatable {
        var epoch: Int
        var clipFraction: Float
        var parameterNorms: [(name: String, norm: Float)]
        var hundredfoldDecayK: [Int?]
        var horizon: Int

        static func == (a: EpochGradients, b: EpochGradients) -> Bool {
            a.epoch == b.epoch && a.clipFraction == b.clipFraction && a.hundredfoldDecayK == b.hundredfoldDecayK
                && a.horizon == b.horizon && a.parameterNorms.map(\.name) == b.parameterNorms.map(\.name)
                && a.parameterNorms.map(\.norm) == b.parameterNorms.map(\.norm)
        }
    }

    private(set) var epochGradients: [EpochGradients] = []

    mutating func append(_ gradients: EpochGradients) { epochGradients.append(gradients) }

    /// Whether the rows carry gradient norms (the run tracks gradients).
    var tracksGradients: Bool { rows.contains { $0.gradientNorm != nil } }

    private(set) var rows: [Row] = []

    static let csvHeader = "step,epoch,train_loss,val_loss,tokens_per_second,learning_rate"
    /// What every tensor charrnn keeps in a checkpoint besides the model's, the
    /// optimizer's and the training state's begins with (the gradient tracker's too).
    static let tensorPrefix = "history."
    static let tensorNames = [
        "history.step", "history.epoch", "history.train_loss", "history.val_loss",
        "history.tokens_per_second", "history.learning_rate",
    ]

    mutating func append(_ row: Row) { rows.append(row) }

    /// Sets the validation loss of the last row.
    mutating func setLastValidationLoss(_ loss: Double) {
        guard !rows.isEmpty else { return }
        rows[rows.count - 1].validationLoss = Float(loss)
    }

    /// The CSV text (header, then one line per row; an empty `val_loss` when there is none).
    /// With gradient tracking: `grad_norm` and `clipped` per step, and on each epoch's last
    /// step `clip_fraction`, `flow_100x_k_layer{l}` (empty: beyond the horizon) and
    /// `grad_norm:{parameter}` per parameter.
    var csv: String {
        let tracking = tracksGradients
        let names = epochGradients.last?.parameterNorms.map(\.name) ?? []
        let layers = epochGradients.last?.hundredfoldDecayK.count ?? 0
        var header = Self.csvHeader
        if tracking {
            header +=
                ",grad_norm,clipped,clip_fraction" + (0..<layers).map { ",flow_100x_k_layer\($0)" }.joined()
                + names.map { ",grad_norm:\($0)" }.joined()
        }
        var out = header + "\n"
        let byEpoch = Dictionary(epochGradients.map { ($0.epoch, $0) }) { _, b in b }
        for (i, r) in rows.enumerated() {
            let val = r.validationLoss.map { "\($0)" } ?? ""
            out +=
                "\(r.step),\(r.epoch),\(r.trainLoss),\(val),\(r.tokensPerSecond.isFinite ? String(Int(r.tokensPerSecond.rounded())) : ""),\(r.learningRate)"
            if tracking {
                out += "," + (r.gradientNorm.map { "\($0)" } ?? "") + "," + (r.clipped.map { $0 ? "1" : "0" } ?? "")
                let lastOfEpoch = i == rows.count - 1 || rows[i + 1].epoch != r.epoch
                if lastOfEpoch, let g = byEpoch[r.epoch], g.parameterNorms.map(\.name) == names, g.hundredfoldDecayK.count == layers {
                    out +=
                        ",\(g.clipFraction)" + g.hundredfoldDecayK.map { "," + ($0.map(String.init) ?? "") }.joined()
                        + g.parameterNorms.map { ",\($0.norm)" }.joined()
                } else {
                    out += String(repeating: ",", count: 1 + layers + names.count)
                }
            }
            out += "\n"
        }
        return out
    }

    /// The rows as checkpoint tensors (a missing validation loss is NaN; gradient columns
    /// and the per-epoch gradient records only when the run tracks gradients).
    var tensors: [String: SafeTensorsFile.Tensor] {
        let n = rows.count
        let columns: [[Float]] = [
            rows.map { Float($0.step) }, rows.map { Float($0.epoch) }, rows.map(\.trainLoss),
            rows.map { $0.validationLoss ?? .nan }, rows.map(\.tokensPerSecond), rows.map(\.learningRate),
        ]
        var out: [String: SafeTensorsFile.Tensor] = [:]
        for (name, values) in zip(Self.tensorNames, columns) { out[name] = .init(shape: [n], values: values) }
        if tracksGradients {
            out["history.grad_norm"] = .init(shape: [n], values: rows.map { $0.gradientNorm ?? .nan })
            out["history.clipped"] = .init(shape: [n], values: rows.map { $0.clipped.map { $0 ? 1 : 0 } ?? .nan })
        }
        if let last = epochGradients.last {
            let records = epochGradients.filter {
                $0.parameterNorms.map(\.name) == last.parameterNorms.map(\.name)
                    && $0.hundredfoldDecayK.count == last.hundredfoldDecayK.count
            }
            let e = records.count, L = last.hundredfoldDecayK.count
            out["history.gradients.epoch"] = .init(shape: [e], values: records.map { Float($0.epoch) })
            out["history.gradients.clip_fraction"] = .init(shape: [e], values: records.map(\.clipFraction))
            out["history.gradients.horizon"] = .init(shape: [e], values: records.map { Float($0.horizon) })
            out["history.gradients.flow_100x_k"] = .init(
                shape: [e, L], values: records.flatMap { $0.hundredfoldDecayK.map { $0.map(Float.init) ?? .nan } })
            for (p, name) in last.parameterNorms.map(\.name).enumerated() {
                out["history.gradients.norm.\(name)"] = .init(shape: [e], values: records.map { $0.parameterNorms[p].norm })
            }
        }
        return out
    }

    init() {}

    /// The history stored in a checkpoint's extra tensors; empty when absent or inconsistent
    /// (a history is informative: a damaged one is dropped, not fatal).
    init(tensors: [String: SafeTensorsFile.Tensor]) {
        let columns = Self.tensorNames.map { tensors[$0] }
        guard columns.allSatisfy({ $0 != nil && $0!.shape.count == 1 }),
            Set(columns.map { $0!.values.count }).count == 1
        else { return }
        let c = columns.map { $0!.values }
        let n = c[0].count
        let norms = tensors["history.grad_norm"].flatMap { $0.shape == [n] ? $0.values : nil }
        let clipped = tensors["history.clipped"].flatMap { $0.shape == [n] ? $0.values : nil }
        for i in 0..<n {
            guard abs(c[0][i]) < 1e9, abs(c[1][i]) < 1e9 else { rows = []; return }
            rows.append(
                Row(
                    step: Int(c[0][i]), epoch: Int(c[1][i]), trainLoss: c[2][i],
                    validationLoss: c[3][i].isNaN ? nil : c[3][i], tokensPerSecond: c[4][i],
                    learningRate: c[5][i], gradientNorm: norms.flatMap { $0[i].isNaN ? nil : $0[i] },
                    clipped: clipped.flatMap { $0[i].isNaN ? nil : $0[i] != 0 }))
        }
        epochGradients = Self.epochGradients(from: tensors)
    }

    /// The per-epoch gradient records stored by `tensors`; empty when absent or inconsistent.
    private static func epochGradients(from tensors: [String: SafeTensorsFile.Tensor]) -> [EpochGradients] {
        guard let epochs = tensors["history.gradients.epoch"], epochs.shape.count == 1,
            let clip = tensors["history.gradients.clip_fraction"], let horizon = tensors["history.gradients.horizon"],
            let flow = tensors["history.gradients.flow_100x_k"]
        else { return [] }
        let e = epochs.values.count
        guard clip.shape == [e], horizon.shape == [e], flow.shape.count == 2, flow.shape[0] == e else { return [] }
        let L = flow.shape[1]
        let prefix = "history.gradients.norm."
        let names = tensors.keys.filter { $0.hasPrefix(prefix) }.sorted()
        // Parameter names become CSV column names: only PyTorch-style names are taken.
        let allowed = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.")
        guard names.allSatisfy({ $0.dropFirst(prefix.count).allSatisfy(allowed.contains) && $0.count > prefix.count }) else { return [] }
        guard names.allSatisfy({ tensors[$0]!.shape == [e] }), epochs.values.allSatisfy({ abs($0) < 1e9 }),
            horizon.values.allSatisfy({ abs($0) < 1e9 }), flow.values.allSatisfy({ $0.isNaN || abs($0) < 1e9 })
        else { return [] }
        return (0..<e).map { i in
            EpochGradients(
                epoch: Int(epochs.values[i]), clipFraction: clip.values[i],
                parameterNorms: names.map { (String($0.dropFirst(prefix.count)), tensors[$0]!.values[i]) },
                hundredfoldDecayK: (0..<L).map { flow.values[i * L + $0].isNaN ? nil : Int(flow.values[i * L + $0]) },
                horizon: Int(horizon.values[i]))
        }
    }
}
