import Foundation
import Linalg
import RNN
import RNNTraining
import SafeTensors
import SequenceData
import _ToolSupport

/// A seq2seq checkpoint: a `ModelCheckpoint<EncoderDecoderModel>` with both sides'
/// vocabularies, the run's settings and its loss history as JSON in its metadata.
struct Seq2SeqCheckpoint {
    static let vocabulariesKey = "seq2seq_vocabularies"
    static let runKey = "seq2seq_run"
    static let historyKey = "seq2seq_history"

    struct Vocabularies: Codable {
        var source: SideVocabulary
        var target: SideVocabulary
    }

    /// What decides a run's batches and what the model was trained on.
    struct RunSettings: Codable {
        var batchSize: Int
        var seed: UInt64
        var validationFraction: Double
        /// The longest training source, in source tokens: longer ones are refused.
        var maxSourceLength: Int
        /// The longest training target, in target tokens (without the end token).
        var maxTargetLength: Int
        /// Whether epochs leave out their partial batch (`--distributed`: ranks share whole
        /// batches); nil: false.
        var fullBatches: Bool?
    }

    var model: EncoderDecoderModel
    var vocabularies: Vocabularies
    var run: RunSettings
    var history: TrainingHistory
    /// The optimizer and position, when the file holds them (a training checkpoint).
    var checkpoint: ModelCheckpoint<EncoderDecoderModel>

    static func save(
        _ model: EncoderDecoderModel, vocabularies: Vocabularies, run: RunSettings, trainer: Trainer<EncoderDecoderModel>,
        rng: SeededRandom, history: TrainingHistory, to path: String
    ) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        func json<T: Encodable>(_ value: T) throws -> String { String(decoding: try encoder.encode(value), as: UTF8.self) }
        do {
            try ModelCheckpoint(
                model: model, optimizer: OptimizerState(capturing: trainer.optimizer),
                training: trainer.trainingState(rngState: rng.state),
                metadata: [vocabulariesKey: try json(vocabularies), runKey: try json(run), historyKey: try json(history)]
            ).write(path: path)
        } catch {
            throw CLIError("cannot save the checkpoint '\(path)': \(error); the previous file (if any) is unchanged")
        }
    }

    /// The checkpoint at `path` (`option` names it in errors: `--checkpoint`, `--resume`).
    init(path: String, option: String) throws {
        let metadata: [String: String]
        do {
            metadata = try SafeTensorsFile.readHeader(path: path).metadata
        } catch let error as SafeTensorsError {
            if case .fileNotFound = error {
                throw CLIError("\(option) '\(path)' does not exist; train one with: seq2seq train --pairs FILE --checkpoint '\(path)'")
            }
            throw CLIError("\(option) '\(path)' is not a valid checkpoint: \(error)")
        }
        guard let vocabularyJSON = metadata[Self.vocabulariesKey], let runJSON = metadata[Self.runKey] else {
            throw CLIError("\(option) '\(path)' was not written by seq2seq train (it has no \(Self.vocabulariesKey) metadata)")
        }
        func decode<T: Decodable>(_ type: T.Type, _ json: String, key: String) throws -> T {
            do { return try JSONDecoder().decode(T.self, from: Data(json.utf8)) } catch {
                throw CLIError("\(option) '\(path)': its \(key) metadata is damaged (\(error))")
            }
        }
        vocabularies = try decode(Vocabularies.self, vocabularyJSON, key: Self.vocabulariesKey)
        run = try decode(RunSettings.self, runJSON, key: Self.runKey)
        history = metadata[Self.historyKey].flatMap { try? JSONDecoder().decode(TrainingHistory.self, from: Data($0.utf8)) } ?? .init()
        do {
            checkpoint = try ModelCheckpoint<EncoderDecoderModel>.read(path: path)
        } catch {
            throw CLIError("\(option) '\(path)' is not a usable checkpoint: \(error)")
        }
        model = checkpoint.model
        let c = model.configuration
        guard c.sourceVocabularySize == vocabularies.source.count, c.targetVocabularySize == vocabularies.target.count,
            vocabularies.target.token(SideVocabulary.start) == c.startToken,
            vocabularies.target.token(SideVocabulary.end) == c.endToken, run.maxSourceLength > 0
        else {
            throw CLIError(
                "\(option) '\(path)': its vocabularies (\(vocabularies.source.count) source, \(vocabularies.target.count) target symbols) do not fit its model (\(c.sourceVocabularySize), \(c.targetVocabularySize))"
            )
        }
        history.title = "seq2seq train: loss per epoch"
        history.lossLabel = "cross-entropy (nats per target token)"
    }
}
