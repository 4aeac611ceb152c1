import RNN
import RNNTraining
import SafeTensors

/// Loading and saving checkpoints with messages that name the option and the file.
enum CheckpointFile {
    /// The checkpoint at `path` (given with `option`), or a `CLIError` saying why not.
    static func load(_ path: String, option: String) throws -> Checkpoint {
        do {
            return try Checkpoint.read(path: path)
        } catch let error as SafeTensorsError {
            switch error {
            case .fileNotFound:
                throw CLIError("\(option) checkpoint '\(path)' does not exist; check the path, or train one with: charrnn train --data FILE --checkpoint '\(path)'")
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
        return "\(Format.stack(cell: rnn.cell, nonlinearity: rnn.vanillaNonlinearity, numLayers: rnn.numLayers)), \(rnn.hiddenSize) hidden units\(Format.inputAndDropout(checkpoint.model.configuration)), \(Format.plural(checkpoint.vocabulary.count, checkpoint.vocabulary.unit.tokenName)), \(Format.count(checkpoint.model.parameters.count)) parameters"
    }
}
