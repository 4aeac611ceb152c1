import Foundation
import Linalg
import RNN
import RNNTraining
import SafeTensors
import Testing
import ToolTesting

/// Checkpoints of every format version as the code of 2026-12-06 (commit 282b5a2, before
/// optimizer settings, schedules and bidirectional layers were stored) wrote them — the
/// files in `Fixtures/`, each with the loss its model gave on a fixed batch — load with
/// today's code into the same model: the same loss, the optimizer's kind, step count and
/// moments, the training state, and the extra metadata and tensors.
struct FormatFixtureTests {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures").path

    static func tokens(_ V: Int, _ n: Int, salt: Int = 3) -> [Int32] { (0..<n).map { Int32(($0 * 7 + salt) % V) } }

    /// The file's format version and the loss recorded beside it.
    static func fixture(_ name: String) throws -> (path: String, version: String?, loss: Double) {
        let path = "\(directory)/\(name).safetensors"
        let expected = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: "\(directory)/\(name).expected.json")))
        let loss = try #require((expected as? [String: Any])?["loss"] as? Double)
        return (path, try SafeTensorsFile.read(path: path).metadata["format_version"], loss)
    }

    static func expectClose(_ loss: Double, _ expected: Double, _ name: String) {
        #expect(abs(loss - expected) <= 1e-5 * max(1, abs(expected)), "\(name): loss \(loss), the file's code gave \(expected)")
    }

    @Test(.precision(.fp32)) func characterModelsOfVersions1To3() throws {
        var f = try Self.fixture("charrnn-v1-rnn")
        #expect(f.version == "1")
        var checkpoint = try Checkpoint.read(path: f.path)
        #expect(checkpoint.model.configuration.recurrent == .init(cell: .rnn, hiddenSize: 6, numLayers: 2))
        #expect(checkpoint.optimizer?.configuration == .defaults(.adam, learningRate: 0.01) && checkpoint.optimizer?.stepCount == 3)
        #expect(checkpoint.training?.hiddenState?.count == 2 * 2 * 6 && checkpoint.training?.schedule == nil)
        var batch = ManyToManyModel.Batch(input: .tokens(Self.tokens(7, 8)), targets: Self.tokens(7, 8, salt: 4), batchSize: 2)
        Self.expectClose(checkpoint.model.loss(batch), f.loss, "charrnn v1")
        // It resumes through the library: the optimizer rebuilt, the position and state taken.
        let trainer = try Trainer(model: checkpoint.model, resuming: checkpoint.optimizer!, training: checkpoint.training!)
        #expect(trainer.position.step == 3 && trainer.carriedState != nil)

        f = try Self.fixture("charrnn-v2-lstm")
        #expect(f.version == "2")
        checkpoint = try Checkpoint.read(path: f.path)
        #expect(checkpoint.model.rnn.cell == .lstm && checkpoint.optimizer?.name == "sgd")
        #expect(checkpoint.optimizer?.buffers.keys.sorted() == ["momentum_buffer"])
        let V2 = checkpoint.vocabulary.count
        batch = ManyToManyModel.Batch(input: .tokens(Self.tokens(V2, 8)), targets: Self.tokens(V2, 8, salt: 1), batchSize: 2)
        Self.expectClose(checkpoint.model.loss(batch), f.loss, "charrnn v2")

        f = try Self.fixture("charrnn-v3-gru-tied-dropout")
        #expect(f.version == "3")
        checkpoint = try Checkpoint.read(path: f.path)
        let c = checkpoint.model.configuration
        #expect(c.embeddingSize == 6 && c.tiedWeights && c.dropout == 0.25 && c.dropoutSeed == 9 && c.recurrent.cell == .gru)
        #expect(checkpoint.initialization == .orthogonal && checkpoint.metadata["note"] == "kept")
        #expect(checkpoint.tensors["history.loss"]?.values == [1.5, 1.25] && checkpoint.optimizer?.name == "rmsprop")
        let V3 = checkpoint.vocabulary.count
        batch = ManyToManyModel.Batch(input: .tokens(Self.tokens(V3, 8)), targets: Self.tokens(V3, 8, salt: 2), batchSize: 2)
        Self.expectClose(checkpoint.model.loss(batch), f.loss, "charrnn v3")

        f = try Self.fixture("charrnn-v3-word")
        checkpoint = try Checkpoint.read(path: f.path)
        #expect(checkpoint.vocabulary.unit == .word && checkpoint.optimizer == nil && checkpoint.training == nil)
        let V4 = checkpoint.vocabulary.count
        batch = ManyToManyModel.Batch(input: .tokens(Self.tokens(V4, 8)), targets: Self.tokens(V4, 8, salt: 5), batchSize: 2)
        Self.expectClose(checkpoint.model.loss(batch), f.loss, "charrnn v3 words")
    }

    @Test(.precision(.fp32)) func modelCheckpointsOfVersions1And2() throws {
        var f = try Self.fixture("model-v1-many-to-one")
        #expect(f.version == "1")
        let classifier = try ModelCheckpoint<ManyToOneModel>.read(path: f.path)
        // The file named only the kind and the rate: AdamW's weight decay of 0.1 was not kept.
        #expect(classifier.optimizer?.configuration == .defaults(.adamw, learningRate: 0.01))
        #expect(classifier.training?.step == 3)
        let labelled = ManyToOneModel.Batch(input: .tokens(Self.tokens(5, 8)), labels: [2, 0], batchSize: 2, lengths: [4, 3])
        Self.expectClose(classifier.model.loss(labelled), f.loss, "many-to-one v1")

        f = try Self.fixture("model-v1-one-to-many")
        let generator = try ModelCheckpoint<OneToManyModel>.read(path: f.path)
        #expect(generator.model.configuration.recurrent.nonlinearity == .relu && generator.optimizer?.name == "adagrad")
        let features = OneToManyModel.Batch(
            features: Matrix(rows: 2, cols: 3, storage: [0.5, -1, 0.25, 1, 0, -0.5]),
            targets: Self.tokens(4, 8))
        Self.expectClose(generator.model.loss(features), f.loss, "one-to-many v1")

        f = try Self.fixture("model-v1-encoder-decoder")
        let translator = try ModelCheckpoint<EncoderDecoderModel>.read(path: f.path)
        #expect(!translator.model.configuration.bidirectionalEncoder && translator.optimizer == nil)
        let pairs = EncoderDecoderModel.Batch(
            source: Self.tokens(5, 8), sourceLengths: [4, 2], targets: [1, 3, 2, 5, 5, -1],
            batchSize: 2)
        Self.expectClose(translator.model.loss(pairs), f.loss, "encoder-decoder v1")

        f = try Self.fixture("model-v2-many-to-many-embedding")
        #expect(f.version == "2")
        let tagger = try ModelCheckpoint<ManyToManyModel>.read(path: f.path)
        #expect(tagger.model.configuration.embeddingSize == 3 && tagger.model.configuration.dropout == 0.2)
        let batch = ManyToManyModel.Batch(input: .tokens(Self.tokens(6, 8)), targets: Self.tokens(4, 8), batchSize: 2)
        Self.expectClose(tagger.model.loss(batch), f.loss, "many-to-many v2")
    }
}
