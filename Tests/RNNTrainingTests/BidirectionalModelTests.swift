import Foundation
import Linalg
import RNN
import RNNTraining
import SafeTensors
import Testing

/// Bidirectional models trained through the `Trainer` (split across threads), saved and
/// read back, and refused where they cannot work.
struct BidirectionalModelTests {
    /// Padded batches of `B` sequences of `2...T` tokens of `V` (then `-1`), with lengths.
    static func sequences(_ rng: inout SeededRandom, V: Int, B: Int, T: Int) -> (tokens: [Int32], lengths: [Int]) {
        let lengths = (0..<B).map { _ in 2 + rng.index(below: T - 1) }
        var tokens = [Int32](repeating: -1, count: T * B)
        for b in 0..<B { for t in 0..<lengths[b] { tokens[t * B + b] = Int32(rng.index(below: V)) } }
        return (tokens, lengths)
    }

    /// Tagging each token with the **next** one needs the future: a bidirectional tagger
    /// learns it, a one-directional one of the same size cannot beat chance — so the
    /// reverse direction really reads each sequence from its own end.
    @Test func aTaggerReadsTheFuture() throws {
        let (V, B, T) = (5, 32, 8)
        func batches(seed: UInt64, count: Int) -> BatchList<ManyToManyModel.Batch> {
            var rng = SeededRandom(seed: seed)
            return BatchList(
                (0..<count).map { _ in
                    let (tokens, lengths) = Self.sequences(&rng, V: V, B: B, T: T)
                    var targets = [Int32](repeating: -1, count: T * B)
                    for b in 0..<B { for t in 0..<(lengths[b] - 1) { targets[t * B + b] = tokens[(t + 1) * B + b] } }
                    return .init(input: .tokens(tokens), targets: targets, batchSize: B, lengths: lengths)
                })
        }
        let train = batches(seed: 1, count: 12), test = batches(seed: 2, count: 4)
        func accuracy(_ model: ManyToManyModel) -> Double {
            var right = 0, counted = 0
            for batch in test.batches {
                let logits = model.forward(batch.input, batchSize: B, lengths: batch.lengths)
                for (r, target) in batch.targets.enumerated() where target >= 0 {
                    let row = Array(logits.storage[(r * V)..<((r + 1) * V)])
                    right += row.firstIndex(of: row.max()!) == Int(target) ? 1 : 0
                    counted += 1
                }
            }
            return Double(right) / Double(counted)
        }
        var results: [Bool: Double] = [:]
        for bidirectional in [true, false] {
            var rng = SeededRandom(seed: 3)
            let model = ManyToManyModel(
                .init(
                    inputSize: V, outputSize: V,
                    recurrent: .init(cell: .gru, hiddenSize: 16, bidirectional: bidirectional)),
                using: &rng)
            let trainer = Trainer(model: model, optimizer: Adam(learningRate: 0.02), workers: 2, clipNorm: 5)
            try trainer.train(on: train, for: .epochs(25))
            results[bidirectional] = accuracy(model)
        }
        #expect(results[true]! >= 0.95, "bidirectional tagger: accuracy \(results[true]!)")
        #expect(results[false]! <= 0.4, "one-directional tagger: accuracy \(results[false]!) (chance is 0.2)")
    }

    /// A classifier of a sequence's **first** token: the reverse direction ends there, so
    /// a bidirectional classifier (both final states into the head) learns it at once;
    /// saved (format version 4, and as version 3 wrote it) with PyTorch's `_reverse` names, it reads back exactly.
    @Test func aClassifierTrainsSavesAndReadsBack() throws {
        let (V, B, T) = (4, 32, 12)
        var rng = SeededRandom(seed: 9)
        let batches = BatchList(
            (0..<10).map { _ in
                let (tokens, lengths) = Self.sequences(&rng, V: V, B: B, T: T)
                return ManyToOneModel.Batch(input: .tokens(tokens), labels: Array(tokens[0..<B]), batchSize: B, lengths: lengths)
            })
        let model = ManyToOneModel(
            .init(
                inputSize: V, outputSize: V,
                recurrent: .init(cell: .lstm, hiddenSize: 12, numLayers: 2, bidirectional: true)),
            using: &rng)
        let trainer = Trainer(model: model, optimizer: Adam(learningRate: 0.02), workers: 2, clipNorm: 5)
        try trainer.train(on: batches, for: .epochs(15))
        let first = batches.batches[0]
        let right = zip(model.predict(first), first.labels).filter { $0 == $1 }.count
        #expect(right >= 31, "\(right) of 32 first tokens classified")

        try withTemporaryFile { path in
            try ModelCheckpoint(
                model: model, optimizer: OptimizerState(capturing: trainer.optimizer),
                training: trainer.trainingState(rngState: rng.state)
            ).write(path: path)
            let file = try SafeTensorsFile.read(path: path)
            #expect(file.metadata["format_version"] == "4" && file.metadata["configuration"]?.contains(#""bidirectional":true"#) == true)
            let legacy = ModelCheckpoint(model: model).versionThreeSafeTensors
            #expect(legacy.metadata["format_version"] == "3" && legacy.metadata["bidirectional"] == "true")
            #expect(try ModelCheckpoint<ManyToOneModel>(legacy).model.configuration == model.configuration)
            #expect(file.tensors["rnn.weight_ih_l1_reverse"]?.shape == [48, 24] && file.tensors["fc.weight"]?.shape == [4, 24])
            #expect(file.tensors["training.hidden_state"] == nil)
            let loaded = try ModelCheckpoint<ManyToOneModel>.read(path: path)
            #expect(loaded.model.configuration == model.configuration)
            #expect(
                loaded.model.forward(first.input, batchSize: B, lengths: first.lengths).storage
                    == model.forward(first.input, batchSize: B, lengths: first.lengths).storage)
            let resumed = try Trainer(resuming: loaded, workers: 2)
            try resumed.train(on: batches, for: .epochs(16))
            try trainer.train(on: batches, for: .epochs(16))
            #expect(loaded.model.parameters.values.map(\.bitPattern) == model.parameters.values.map(\.bitPattern))
        }
    }

    /// Reversing strings with a bidirectional encoder: the bridge feeds the decoder both
    /// ends of the source; trained on two threads, saved (format version 4, and as version
    /// 3 wrote it, with `bidirectional_encoder`) and read back to the same translations.
    @Test func anEncoderDecoderWithABidirectionalEncoderLearnsAndReadsBack() throws {
        let (V, B, T) = (6, 32, 5)  // letters 0..<6, start 6, end 7
        var rng = SeededRandom(seed: 21)
        let batches = BatchList(
            (0..<8).map { _ in
                let (source, lengths) = Self.sequences(&rng, V: V, B: B, T: T)
                var targets = [Int32](repeating: -1, count: (T + 1) * B)
                for b in 0..<B {
                    for t in 0..<lengths[b] { targets[t * B + b] = source[(lengths[b] - 1 - t) * B + b] }
                    targets[lengths[b] * B + b] = 7
                }
                return EncoderDecoderModel.Batch(source: source, sourceLengths: lengths, targets: targets, batchSize: B)
            })
        let model = EncoderDecoderModel(
            .init(
                sourceVocabularySize: V, targetVocabularySize: V + 2, startToken: 6, endToken: 7,
                recurrent: .init(cell: .gru, hiddenSize: 32), bidirectionalEncoder: true),
            using: &rng)
        let trainer = Trainer(model: model, optimizer: Adam(learningRate: 0.01), workers: 2, clipNorm: 5)
        try trainer.train(on: batches, for: .epochs(60))
        let probes: [[Int32]] = [[1, 2, 3], [5, 0, 4, 4], [2, 2]]
        let translations = probes.map { model.translate($0, maxLength: 8) }
        #expect(translations == probes.map { Array($0.reversed()) }, "reversed \(probes) to \(translations)")

        try withTemporaryFile { path in
            try ModelCheckpoint(model: model).write(path: path)
            let file = try SafeTensorsFile.read(path: path)
            #expect(file.metadata["configuration"]?.contains(#""bidirectionalEncoder":true"#) == true)
            #expect(file.tensors["bridge.weight"]?.shape == [32, 64])
            let legacy = ModelCheckpoint(model: model).versionThreeSafeTensors
            #expect(legacy.metadata["format_version"] == "3" && legacy.metadata["bidirectional_encoder"] == "true")
            #expect(try ModelCheckpoint<EncoderDecoderModel>(legacy).model.configuration == model.configuration)
            let loaded = try ModelCheckpoint<EncoderDecoderModel>.read(path: path).model
            #expect(loaded.configuration == model.configuration)
            #expect(probes.map { loaded.translate($0, maxLength: 8) } == translations)
        }
    }

    /// Truncated BPTT does not carry a bidirectional model's state (its reverse direction
    /// would start from the past); a state given to one is saved as PyTorch's `h_n`
    /// `[L·2, B, H]` (`[2, L·2, B, H]` for the LSTM) and read back.
    @Test(arguments: [RecurrentCell.gru, .lstm])
    func carriedStatesOfABidirectionalModel(_ cell: RecurrentCell) throws {
        var rng = SeededRandom(seed: 6)
        let (V, B, L, H) = (5, 2, 2, 3)
        let model = ManyToManyModel(
            .init(
                inputSize: V, outputSize: V,
                recurrent: .init(cell: cell, hiddenSize: H, numLayers: L, bidirectional: true)),
            using: &rng)
        #expect(!model.carriesState && model.stateBlocks == cell.stateParts * L * 2)
        let text = (0..<41).map { _ in Int32(rng.index(below: V)) }
        let streams = TokenStreams(tokens: TokenSequence(text), batchSize: B, seqLength: 4, partialChunks: false)!
        let trainer = Trainer(model: model, optimizer: Adam(learningRate: 0.01))
        try trainer.train(on: streams, for: .steps(3))
        #expect(trainer.carriedState == nil)

        let hidden = (0..<model.rnn.stateSize(batchSize: B)).map { Float($0) / 100 }
        var training = trainer.trainingState(rngState: [1, 2, 3, 4])
        training.hiddenState = hidden
        let file = ModelCheckpoint(model: model, training: training).safeTensors
        #expect(file.tensors["training.hidden_state"]?.shape == (cell == .lstm ? [2, L * 2, B, H] : [L * 2, B, H]))
        #expect(try ModelCheckpoint<ManyToManyModel>(file).training?.hiddenState == hidden)
    }

    /// What reads forward only refuses a bidirectional configuration with the reason: a
    /// character model's checkpoint, a generator's and an encoder-decoder's metadata.
    @Test func causalModelsRefuseIt() throws {
        var rng = SeededRandom(seed: 2)
        let vocabulary = Vocabulary(text: "abc")
        let model = ManyToManyModel(inputSize: 3, hiddenSize: 4, outputSize: 3, cell: .gru, using: &rng)
        var file = Checkpoint(model: model, vocabulary: vocabulary).versionThreeSafeTensors
        file.metadata["bidirectional"] = "true"
        #expect(
            throws: CheckpointError.invalidMetadata(
                key: "bidirectional", value: "true",
                expected: "false: \(Checkpoint.bidirectionalProblem)")
        ) {
            try Checkpoint(file)
        }
        file.metadata["bidirectional"] = "maybe"
        #expect(throws: CheckpointError.invalidMetadata(key: "bidirectional", value: "maybe", expected: "true or false")) {
            try Checkpoint(file)
        }
        let generator = OneToManyModel(featureSize: 2, vocabularySize: 4, hiddenSize: 3, startToken: 0, using: &rng)
        var metadata = generator.configuration.metadata
        metadata["bidirectional"] = "true"
        #expect(throws: CheckpointError.self) { try OneToManyModel.Configuration(metadata: metadata) }
        let translator = EncoderDecoderModel(
            sourceVocabularySize: 3, targetVocabularySize: 4, hiddenSize: 3, startToken: 2,
            endToken: 3, using: &rng)
        metadata = translator.configuration.metadata
        metadata["bidirectional"] = "true"
        #expect(throws: CheckpointError.self) { try EncoderDecoderModel.Configuration(metadata: metadata) }
    }
}
