import Foundation
import Linalg
import RNN
import RNNTraining
import SafeTensors
import SequenceData
import _ToolSupport

/// A series checkpoint: a `ModelCheckpoint` of the forecaster or the classifier, with the
/// task and the data preparation (`ForecastSetup`, `ClassificationSetup`) as JSON in its
/// metadata, so that `eval` and `predict` prepare a CSV file as training did.
enum SeriesCheckpoint {
    static let taskKey = "series_task"
    static let setupKey = "series_setup"
    /// What a resumed run needs besides the trainer's state: `RunSettings` as JSON.
    static let runKey = "series_run"
    /// The losses of every epoch so far (`TrainingHistory` as JSON).
    static let historyKey = "series_history"

    /// The settings that decide a run's batches.
    struct RunSettings: Codable {
        var batchSize: Int
        var seed: UInt64
        /// A classifier's held-out shares (its split is a seeded shuffle of the sequences).
        var validation: Double?
        var test: Double?
    }

    enum Loaded {
        case forecast(any Forecaster, ForecastSetup)
        case classify(ManyToOneModel, ClassificationSetup)
    }

    static func save<Model: SequenceModel, Setup: Encodable>(
        _ model: Model, setup: Setup, task: Task, trainer: Trainer<Model>, rng: SeededRandom, run: RunSettings,
        history: TrainingHistory = .init(), to path: String
    ) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let json = String(decoding: try encoder.encode(setup), as: UTF8.self)
        do {
            try ModelCheckpoint(
                model: model, optimizer: OptimizerState(capturing: trainer.optimizer),
                training: trainer.trainingState(rngState: rng.state),
                metadata: [
                    taskKey: task.rawValue, setupKey: json, runKey: String(decoding: try encoder.encode(run), as: UTF8.self),
                    historyKey: String(decoding: try encoder.encode(history), as: UTF8.self),
                ]
            ).write(path: path)
        } catch {
            throw CLIError("cannot save the checkpoint '\(path)': \(error); the previous file (if any) is unchanged")
        }
    }

    /// A checkpoint of `Model` with everything a resumed run needs.
    static func loadForResume<Model: SequenceModel, Setup: Decodable>(_ path: String, as: Model.Type, setup: Setup.Type) throws -> (
        checkpoint: ModelCheckpoint<Model>, setup: Setup, run: RunSettings, history: TrainingHistory
    ) {
        let metadata: [String: String]
        do {
            metadata = try SafeTensorsFile.readHeader(path: path).metadata
        } catch {
            throw CLIError("--resume '\(path)' cannot be read: \(error)")
        }
        guard metadata[taskKey] == (Model.self is any Forecaster.Type ? Task.forecast : Task.classify).rawValue,
            let setupJSON = metadata[setupKey]
        else {
            throw CLIError("--resume '\(path)' is not a series checkpoint of this task (\(metadata[taskKey] ?? "none"))")
        }
        do {
            let checkpoint = try ModelCheckpoint<Model>.read(path: path)
            guard let json = checkpoint.metadata[runKey], checkpoint.optimizer != nil, checkpoint.training != nil,
                let run = try? JSONDecoder().decode(RunSettings.self, from: Data(json.utf8))
            else {
                throw CLIError("--resume '\(path)' holds no training state to continue from")
            }
            let setup = try JSONDecoder().decode(Setup.self, from: Data(setupJSON.utf8))
            let history = checkpoint.metadata[historyKey].flatMap {
                try? JSONDecoder().decode(TrainingHistory.self, from: Data($0.utf8))
            }
            return (checkpoint, setup, run, history ?? .init())
        } catch let error as CLIError {
            throw error
        } catch {
            throw CLIError("--resume '\(path)' is not a usable checkpoint: \(error)")
        }
    }

    /// The task of the series checkpoint at `path`, from its header alone.
    static func task(_ path: String) throws -> Task {
        guard let metadata = try? SafeTensorsFile.readHeader(path: path).metadata else {
            throw CLIError("--resume '\(path)' cannot be read as a checkpoint (missing, or not a safetensors file)")
        }
        guard let task = metadata[taskKey].flatMap(Task.init(rawValue:)) else {
            throw CLIError("--resume '\(path)' was not written by series train (it has no \(taskKey) metadata)")
        }
        return task
    }

    static func load(_ path: String) throws -> Loaded {
        let metadata: [String: String]
        do {
            metadata = try SafeTensorsFile.readHeader(path: path).metadata
        } catch let error as SafeTensorsError {
            if case .fileNotFound = error {
                throw CLIError("--checkpoint '\(path)' does not exist; train one with: series train --csv FILE ... --checkpoint '\(path)'")
            }
            throw CLIError("--checkpoint '\(path)' is not a valid checkpoint: \(error)")
        }
        guard let task = metadata[taskKey].flatMap(Task.init(rawValue:)), let json = metadata[setupKey] else {
            throw CLIError(
                "--checkpoint '\(path)' was not written by series train (it has no \(taskKey) and \(setupKey) metadata)")
        }
        func decode<T: Decodable>(_ type: T.Type) throws -> T {
            do { return try JSONDecoder().decode(T.self, from: Data(json.utf8)) } catch {
                throw CLIError("--checkpoint '\(path)': its \(setupKey) metadata is damaged (\(error))")
            }
        }
        do {
            switch task {
            case .forecast:
                let setup = try decode(ForecastSetup.self)
                if metadata["architecture"] == AutoregressiveForecastModel.Configuration.architecture {
                    return .forecast(try ModelCheckpoint<AutoregressiveForecastModel>.read(path: path).model, setup)
                }
                return .forecast(try ModelCheckpoint<ForecastModel>.read(path: path).model, setup)
            case .classify:
                return .classify(try ModelCheckpoint<ManyToOneModel>.read(path: path).model, try decode(ClassificationSetup.self))
            }
        } catch let error as CLIError {
            throw error
        } catch {
            throw CLIError("--checkpoint '\(path)' is not a usable checkpoint: \(error)")
        }
    }
}
