import RNN
import RNNTraining
import SafeTensors
import _ToolSupport

/// Loading and saving checkpoints with messages that name the option and the file.
enum CheckpointFile {
    /// The checkpoint at `path` (given with `option`), or a `CLIError` saying why not.
    ///
    /// Reads the tensors of the model, the optimizer and the training state, and of the
    /// extra tensors only charrnn's own (`history.*`: the loss history and the gradient
    /// tracker's sums); any other extra tensor (another program's) is not read — a note
    /// names it, and the checkpoints this run writes do not keep it. What is read must fit
    /// in 80% of the memory the process may use (`MemoryBudget`), checked before anything
    /// is allocated.
    static func load(_ path: String, option: String) throws -> Checkpoint {
        let budget = MemoryBudget.current()
        var skipped: [String] = []
        do {
            let checkpoint = try Checkpoint.read(path: path, byteBudget: Int(budget.bytes * 0.8)) { name in
                if name.hasPrefix(History.tensorPrefix) { return true }
                skipped.append(name)
                return false
            }
            if !skipped.isEmpty {
                Console.note(
                    "note: \(option) '\(path)' holds \(Format.plural(skipped.count, "tensor")) charrnn does not use (\(skipped.sorted().prefix(3).map { "'\($0)'" }.joined(separator: ", "))\(skipped.count > 3 ? ", ..." : "")); \(skipped.count == 1 ? "it was" : "they were") not read"
                )
            }
            return checkpoint
        } catch let error as SafeTensorsError {
            switch error {
            case .exceedsByteBudget(let bytes, _, let largest, let shape):
                throw CLIError(
                    "\(option) '\(path)' needs about \(MemoryBudget.format(Double(bytes))) of memory to load (its largest tensor is '\(largest)', shape \(shape)), more than \(budget.limit) leaves (\(MemoryBudget.format(budget.bytes))); the file is damaged, or its model is too large for this machine"
                )
            case .fileNotFound:
                throw CLIError(
                    "\(option) checkpoint '\(path)' does not exist; check the path, or train one with: charrnn train --data FILE --checkpoint '\(path)'"
                )
            case .isDirectory:
                throw CLIError("\(option) '\(path)' is a directory; give a checkpoint file (.safetensors)")
            case .readFailed(_, let reason):
                throw CLIError("cannot read \(option) checkpoint '\(path)': \(reason)")
            default:
                throw CLIError("\(option) '\(path)' is not a valid checkpoint: \(error)")
            }
        } catch let error as CheckpointError {
            throw CLIError("\(option) '\(path)' is not a usable checkpoint: \(error)")
        }
    }

    /// Writes `checkpoint` atomically; a failure leaves any previous file untouched.
    static func save(_ checkpoint: Checkpoint, to path: String) throws {
        do {
            try checkpoint.write(path: path)
        } catch {
            throw CLIError("cannot save the checkpoint: \(error); the previous checkpoint file (if any) is unchanged")
        }
    }

    /// `model.safetensors` -> `model.best.safetensors`; other names get `.best` appended.
    static func bestPath(for path: String) -> String {
        path.hasSuffix(".safetensors") ? String(path.dropLast(".safetensors".count)) + ".best.safetensors" : path + ".best"
    }

    /// One line describing the model of a checkpoint.
    static func describe(_ checkpoint: Checkpoint) -> String {
        let rnn = checkpoint.model.rnn
        return
            "\(Format.stack(cell: rnn.cell, nonlinearity: rnn.vanillaNonlinearity, numLayers: rnn.numLayers)), \(rnn.hiddenSize) hidden units\(Format.inputAndDropout(checkpoint.model.configuration)), \(Format.plural(checkpoint.vocabulary.count, checkpoint.vocabulary.unit.tokenName)), \(Format.count(checkpoint.model.parameters.count)) parameters"
    }
}
