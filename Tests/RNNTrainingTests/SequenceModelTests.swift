import Foundation
import Linalg
import RNN
import RNNTraining
import SafeTensors
import Testing
import ToolTesting

/// One seeded batch of each architecture, `B` = 6 sequences, with padding and uncounted
/// targets so that the slices of a split count different numbers of predictions.
enum ArchitectureFixtures {
    static let cells: [RecurrentCell] = [.rnn, .gru, .lstm]

    static func manyToOne(_ cell: RecurrentCell, rng: inout SeededRandom) -> (ManyToOneModel, ManyToOneModel.Batch) {
        let (V, B, T) = (5, 6, 4)
        let model = ManyToOneModel(inputSize: V, hiddenSize: 7, outputSize: 3, numLayers: 2, cell: cell, using: &rng)
        let lengths = [4, 1, 3, 2, 4, 1]
        let tokens = (0..<(T * B)).map { r in r / B < lengths[r % B] ? Int32(rng.index(below: V)) : -1 }
        let h0 = (0..<model.rnn.stateSize(batchSize: B)).map { _ in rng.uniform(-0.5, 0.5) }
        return (model, .init(input: .tokens(tokens), labels: [2, 0, -1, 1, 1, 0], batchSize: B, lengths: lengths, initialState: h0))
    }

    static func manyToMany(_ cell: RecurrentCell, rng: inout SeededRandom) -> (ManyToManyModel, ManyToManyModel.Batch) {
        let (V, B, T) = (6, 6, 3)
        let model = ManyToManyModel(inputSize: V, hiddenSize: 5, outputSize: V, numLayers: 2, cell: cell, using: &rng)
        var targets = (0..<(T * B)).map { _ in Int32(rng.index(below: V)) }
        targets[1] = -1; targets[7] = -1; targets[13] = -1
        let inputs = (0..<(T * B)).map { _ in Int32(rng.index(below: V)) }
        return (model, .init(input: .tokens(inputs), targets: targets, batchSize: B))
    }

    static func oneToMany(_ cell: RecurrentCell, rng: inout SeededRandom) -> (OneToManyModel, OneToManyModel.Batch) {
        let (F, V, B, T) = (3, 5, 6, 3)
        let model = OneToManyModel(featureSize: F, vocabularySize: V, hiddenSize: 4, numLayers: 2, cell: cell, startToken: 4, using: &rng)
        var targets = (0..<(T * B)).map { _ in Int32(rng.index(below: 4)) }
        targets[T * B - 1] = -1; targets[T * B - 2] = -1
        return (model, .init(features: Matrix.random(B, F, using: &rng), targets: targets))
    }

    static func encoderDecoder(_ cell: RecurrentCell, rng: inout SeededRandom) -> (EncoderDecoderModel, EncoderDecoderModel.Batch) {
        let (Vs, Vt, B, Ts, Tt) = (5, 6, 6, 4, 3)
        let model = EncoderDecoderModel(
            sourceVocabularySize: Vs, targetVocabularySize: Vt, hiddenSize: 4, numLayers: 2,
            cell: cell, startToken: 4, endToken: 5, using: &rng)
        let lengths = [4, 2, 1, 3, 4, 2]
        let source = (0..<(Ts * B)).map { r in r / B < lengths[r % B] ? Int32(rng.index(below: Vs)) : -1 }
        var targets = (0..<(Tt * B)).map { _ in Int32(rng.index(below: 4)) }
        targets[Tt * B - 1] = -1
        return (model, .init(source: source, sourceLengths: lengths, targets: targets, batchSize: B))
    }
}

private func maxDifference(_ a: some Collection<Float>, _ b: some Collection<Float>) -> Float {
    zip(a, b).map { abs($0 - $1) }.max() ?? 0
}

/// What every `SequenceModel` promises: its configuration rebuilds its layout, the thread
/// split equals the whole batch, and a checkpoint resumes it exactly.
struct SequenceModelTests {
    /// The model registers exactly the tensors its configuration lists (what a checkpoint
    /// is checked against), and the configuration survives its JSON and its keys of format
    /// versions 1–3.
    func expectLayoutAndMetadata<Model: SequenceModel>(_ model: Model) throws {
        let configuration = model.configuration
        #expect(model.parameters.slots.map(\.name) == configuration.parameterShapes.map(\.name))
        #expect(model.parameters.slots.map(\.shape) == configuration.parameterShapes.map(\.shape))
        #expect(configuration.parameterCount == model.parameters.count)
        #expect(try JSONDecoder().decode(Model.Configuration.self, from: JSONEncoder().encode(configuration)) == configuration)
        #expect(configuration.problem == nil)
        let old = try #require(configuration as? any VersionThreeConfiguration)
        #expect(try type(of: old).init(metadata: old.metadata) as? Model.Configuration == configuration)
    }

    /// 2 workers against the whole batch: loss and gradients equal up to rounding (the
    /// gradients first set to 7, so the split must overwrite them), and the final state too.
    func expectSplitEqualsWholeBatch<Model: SequenceModel>(_ model: Model, _ batch: Model.Batch, _ context: String) {
        let loss = model.computeGradients(batch)
        let gradients = model.parameters.gradients.array
        var state: [Float] = []
        if model.carriesState { model.finalState(into: &state) }
        model.parameters.gradients.assign(gradients.map { _ in 7 })
        let parallel = DataParallelModel(model, workers: 2)
        let split = parallel.computeGradients(batch)
        #expect(abs(split - loss) <= 1e-6 * abs(loss), "\(context): loss \(split) vs \(loss)")
        let scale = gradients.map(abs).max()!
        #expect(scale > 0 && maxDifference(model.parameters.gradients, gradients) <= 1e-5 * scale, "\(context): gradients")
        if model.carriesState {
            var splitState: [Float] = []
            parallel.finalState(into: &splitState)
            #expect(splitState.count == state.count && maxDifference(splitState, state) <= 1e-6, "\(context): final state")
        }
    }

    @Test(.precision(.fp32), arguments: ArchitectureFixtures.cells)
    func everyArchitectureSplitsAndRebuildsFromItsConfiguration(_ cell: RecurrentCell) throws {
        var rng = SeededRandom(seed: 71)
        let (m1, b1) = ArchitectureFixtures.manyToOne(cell, rng: &rng)
        let (m2, b2) = ArchitectureFixtures.manyToMany(cell, rng: &rng)
        let (m3, b3) = ArchitectureFixtures.oneToMany(cell, rng: &rng)
        let (m4, b4) = ArchitectureFixtures.encoderDecoder(cell, rng: &rng)
        try expectLayoutAndMetadata(m1); expectSplitEqualsWholeBatch(m1, b1, "many-to-one \(cell)")
        try expectLayoutAndMetadata(m2); expectSplitEqualsWholeBatch(m2, b2, "many-to-many \(cell)")
        try expectLayoutAndMetadata(m3); expectSplitEqualsWholeBatch(m3, b3, "one-to-many \(cell)")
        try expectLayoutAndMetadata(m4); expectSplitEqualsWholeBatch(m4, b4, "encoder-decoder \(cell)")
    }

    /// Trains 3 steps, checkpoints (weights, Adam's moments, position), trains 3 more; a model
    /// read back from the file trains the same 3 steps bit for bit.
    func expectExactResume<Model: SequenceModel>(_ model: Model, _ batches: [Model.Batch], workers: Int) throws {
        let source = BatchList(batches)
        let trainer = Trainer(model: model, optimizer: Adam(learningRate: 0.01), workers: workers, clipNorm: 1)
        try trainer.train(on: source, for: .steps(3))
        let file = ModelCheckpoint(
            model: model, optimizer: OptimizerState(capturing: trainer.optimizer),
            training: trainer.trainingState(rngState: [1, 2, 3, 4]), metadata: ["note": "x"]
        ).safeTensors
        try trainer.train(on: source, for: .steps(6))

        let loaded = try ModelCheckpoint<Model>(SafeTensorsFile(bytes: file.serialized()))
        #expect(loaded.metadata == ["note": "x"])
        let training = try #require(loaded.training)
        let optimizer = try #require(loaded.optimizer).makeOptimizer(for: loaded.model.parameters)
        let resumed = Trainer(model: loaded.model, optimizer: optimizer, workers: workers, clipNorm: 1)
        try resumed.resume(from: training)
        #expect(resumed.position == TrainingPosition(step: 3, epoch: 1, stepInEpoch: 1))
        if model.carriesState {
            // A carried state that is not whole sequences of this model is refused.
            #expect(throws: TrainingError.carriedStateMismatch(values: 5, expected: model.stateBlocks * model.stateWidth)) {
                try resumed.resume(
                    from: TrainingState(
                        step: 3, epoch: 1, stepInEpoch: 1, rngState: [1, 2, 3, 4],
                        hiddenState: [Float](repeating: 0, count: 5)))
            }
        }
        try resumed.train(on: source, for: .steps(6))
        #expect(loaded.model.parameters.values.map(\.bitPattern) == model.parameters.values.map(\.bitPattern))
    }

    @Test(arguments: ArchitectureFixtures.cells)
    func everyArchitectureResumesExactlyFromItsCheckpoint(_ cell: RecurrentCell) throws {
        var rng = SeededRandom(seed: 72)
        let (m1, b1) = ArchitectureFixtures.manyToOne(cell, rng: &rng)
        var b1b = b1; b1b.initialState = nil
        try expectExactResume(m1, [b1, b1b], workers: 2)
        let (m2, b2) = ArchitectureFixtures.manyToMany(cell, rng: &rng)
        try expectExactResume(m2, [b2, b2], workers: 1)
        let (m3, b3) = ArchitectureFixtures.oneToMany(cell, rng: &rng)
        try expectExactResume(m3, [b3, b3], workers: 2)
        let (m4, b4) = ArchitectureFixtures.encoderDecoder(cell, rng: &rng)
        try expectExactResume(m4, [b4, b4], workers: 2)
    }

    /// The issue's definition of done: a many-to-one classifier trains through the Trainer
    /// with 2 workers (equal to the whole batch up to rounding), saves, resumes exactly and
    /// evaluates. The task: a sequence's class is its first token (3...8 tokens over 4).
    @Test func manyToOneClassifierTrainsOnTwoWorkersSavesResumesAndEvaluates() throws {
        var rng = SeededRandom(seed: 73)
        let (V, B, T) = (4, 32, 8)
        func batch() -> ManyToOneModel.Batch {
            let lengths = (0..<B).map { _ in 3 + rng.index(below: T - 2) }
            var tokens = [Int32](repeating: -1, count: T * B)
            for b in 0..<B { for t in 0..<lengths[b] { tokens[t * B + b] = Int32(rng.index(below: V)) } }
            return .init(input: .tokens(tokens), labels: (0..<B).map { tokens[$0] }, batchSize: B, lengths: lengths)
        }
        let train = BatchList((0..<10).map { _ in batch() }), test = BatchList((0..<4).map { _ in batch() })
        let model = ManyToOneModel(.init(inputSize: V, outputSize: V, recurrent: .init(cell: .gru, hiddenSize: 24)), using: &rng)
        let twin = ManyToOneModel(model.configuration, using: &rng)
        twin.parameters.values.assign(model.parameters.values.array)

        // The split step against the whole batch, on the same weights.
        let trainer = Trainer(model: model, optimizer: Adam(learningRate: 0.01), workers: 2, clipNorm: 5)
        let whole = Trainer(model: twin, optimizer: Adam(learningRate: 0.01), workers: 1, clipNorm: 5)
        #expect(trainer.workerCount == 2)
        let split = try trainer.step(train.batches[0]), single = try whole.step(train.batches[0])
        #expect(
            abs(split.loss - single.loss) <= 1e-6 * single.loss
                && abs(split.gradientNorm - single.gradientNorm) <= 1e-5 * single.gradientNorm)
        #expect(maxDifference(model.parameters.values, twin.parameters.values) <= 1e-5)
        trainer.position = TrainingPosition()

        try withTemporaryFile { path in
            var epochs: [Int] = []
            try trainer.train(on: train, for: .epochs(15)) { event in
                if case .epochEnd(let epoch) = event { epochs.append(epoch) }
            }
            #expect(epochs == Array(0..<15))
            try ModelCheckpoint(
                model: model, optimizer: OptimizerState(capturing: trainer.optimizer),
                training: trainer.trainingState(rngState: rng.state)
            ).write(path: path)
            try trainer.train(on: train, for: .epochs(20))

            let loaded = try ModelCheckpoint<ManyToOneModel>.read(path: path)
            let resumed = Trainer(
                model: loaded.model, optimizer: try loaded.optimizer!.makeOptimizer(for: loaded.model.parameters),
                workers: 2, clipNorm: 5)
            try resumed.resume(from: loaded.training!)
            try resumed.train(on: train, for: .epochs(20))
            #expect(loaded.model.parameters.values.map(\.bitPattern) == model.parameters.values.map(\.bitPattern))

            // Evaluation: the held-out loss and accuracy of the trained classifier.
            let (loss, count) = loaded.model.meanLoss(over: test)
            #expect(count == 4 * B && loss < 0.3, "held-out loss \(loss)")
            let correct = test.batches.map { b in zip(loaded.model.predict(b), b.labels).filter { $0 == $1 }.count }.reduce(0, +)
            #expect(Double(correct) / Double(4 * B) >= 0.9, "accuracy \(correct)/\(4 * B)")
        }
    }

    /// Files that are not checkpoints of this architecture, or whose tensors disagree with
    /// the configuration in their metadata, are refused before a model is built.
    /// A classifier with an embedding and dropout: the configuration read back whole from
    /// its JSON (format version 4), and from the separate keys of versions 1–3 (2 for these
    /// options, which a version-1 reader would drop; 1 without them).
    @Test func modelCheckpointOfAnEmbeddingAndDropout() throws {
        var rng = SeededRandom(seed: 75)
        let configuration = ManyToOneModel.Configuration(
            inputSize: 9, outputSize: 3, recurrent: .init(cell: .gru, hiddenSize: 6),
            embeddingSize: 4, dropout: 0.25, dropoutSeed: 8)
        let model = ManyToOneModel(configuration, using: &rng)
        let file = ModelCheckpoint(model: model).safeTensors
        #expect(file.metadata["format_version"] == "4" && file.tensors["embedding.weight"]?.shape == [9, 4])
        #expect(
            file.metadata["configuration"]
                == #"{"dropout":0.25,"dropoutSeed":8,"embeddingSize":4,"inputSize":9,"outputSize":3,"recurrent":{"bidirectional":false,"cell":"gru","hiddenSize":6,"nonlinearity":"tanh","numLayers":1},"tiedWeights":false}"#
        )
        let loaded = try ModelCheckpoint<ManyToOneModel>(file)
        #expect(loaded.model.configuration == configuration)
        #expect(loaded.model.parameters.values == model.parameters.values)
        let legacy = ModelCheckpoint(model: model).versionThreeSafeTensors
        #expect(legacy.metadata["format_version"] == "2" && legacy.metadata["embedding_size"] == "4")
        #expect(try ModelCheckpoint<ManyToOneModel>(legacy).model.configuration == configuration)
        let plain = ManyToOneModel(.init(inputSize: 9, outputSize: 3, recurrent: .init(cell: .gru, hiddenSize: 6)), using: &rng)
        #expect(ModelCheckpoint(model: plain).versionThreeSafeTensors.metadata["format_version"] == "1")
    }

    @Test func modelCheckpointRefusesMismatchedFiles() throws {
        var rng = SeededRandom(seed: 74)
        let (model, _) = ArchitectureFixtures.oneToMany(.lstm, rng: &rng)
        let file = ModelCheckpoint(model: model).safeTensors, legacy = ModelCheckpoint(model: model).versionThreeSafeTensors
        func error(legacy old: Bool = false, _ change: (inout SafeTensorsFile) -> Void) -> CheckpointError? {
            var f = old ? legacy : file
            change(&f)
            do { _ = try ModelCheckpoint<OneToManyModel>(f); return nil } catch { return error }
        }
        #expect(error { _ in } == nil)
        #expect(throws: CheckpointError.self) { _ = try ModelCheckpoint<ManyToOneModel>(file) }
        #expect(error(legacy: true) { _ in } == nil)
        #expect(
            error(legacy: true) { $0.metadata["hidden_size"] = "5" }
                == .shapeMismatch(
                    tensor: "init.weight", shape: [16, 3], expected: [20, 3],
                    because: "cell lstm, hidden_size 5, num_layers 2, feature_size 3, vocabulary_size 5"))
        // A tensor outside the model's prefixes is the caller's extra tensor, kept.
        var extra = file
        extra.tensors["decoder.weight_hh_l0"] = extra.tensors["rnn.weight_hh_l0"]
        #expect(try ModelCheckpoint<OneToManyModel>(extra).tensors.keys.sorted() == ["decoder.weight_hh_l0"])
        #expect(
            error { $0.tensors["rnn.weight_hh_l2"] = $0.tensors["rnn.weight_hh_l0"] }
                == .unexpectedTensor(
                    "rnn.weight_hh_l2", because: "cell lstm, hidden_size 4, num_layers 2, feature_size 3, vocabulary_size 5"))
        #expect(error { $0.tensors["fc.bias"] = nil } == .missingTensor("fc.bias"))
        #expect(
            error(legacy: true) { $0.metadata["start_token"] = "5" }
                == .invalidMetadata(key: "start_token", value: "5", expected: "an integer in 0...4"))
        #expect(error { $0.metadata["format_version"] = "5" } == .unsupportedVersion(5, newest: 4))
        // The JSON configuration: a start token outside the vocabulary, another model's shape.
        let json = file.metadata["configuration"]!
        #expect(
            error { $0.metadata["configuration"] = json.replacingOccurrences(of: #""startToken":4"#, with: #""startToken":5"#) }
                == .invalidMetadata(
                    key: "configuration", value: json.replacingOccurrences(of: #""startToken":4"#, with: #""startToken":5"#),
                    expected: "a configuration a model can be built from (the start token 5 is not a token of the vocabulary of 5)"))
        #expect(
            error { $0.metadata["configuration"] = json.replacingOccurrences(of: #""hiddenSize":4"#, with: #""hiddenSize":5"#) }
                == .shapeMismatch(
                    tensor: "init.weight", shape: [16, 3], expected: [20, 3],
                    because: "cell lstm, hidden_size 5, num_layers 2, feature_size 3, vocabulary_size 5"))
        #expect(error { $0.metadata["configuration"] = "[1, 2]" } != nil)
        // A one-to-many model computes its initial state: a carried state is refused from
        // the configuration alone, whatever its shape.
        #expect(
            error {
                $0.metadata["step"] = "1"; $0.metadata["epoch"] = "0"; $0.metadata["step_in_epoch"] = "1"
                $0.metadata["rng_state"] = "1,2,3,4"
                $0.tensors["training.hidden_state"] = .init(shape: [2, 2, 1, 4], values: .init(repeating: 0, count: 16))
            }
                == .unexpectedTensor(
                    "training.hidden_state",
                    because: "cell lstm, hidden_size 4, num_layers 2, feature_size 3, vocabulary_size 5 carries no state between batches"))
        #expect(
            error { $0.metadata["format"] = "swift-rnn.charrnn" } == .unsupportedFormat("swift-rnn.charrnn", expected: "swift-rnn.model"))
    }
}

/// A path in a new temporary directory, removed afterwards.
func withTemporaryFile(_ body: (String) throws -> Void) throws {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("srnn-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: dir) }
    try body(dir.appendingPathComponent("model.safetensors").path)
}
