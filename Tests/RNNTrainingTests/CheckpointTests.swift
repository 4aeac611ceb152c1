import Foundation
import Linalg
import RNN
import RNNTraining
import SafeTensors
import Testing

/// A small model with values that are not the initializer's, plus a few optimizer steps.
private func trainedModel(
    layers: Int = 2, hidden: Int = 6, optimizer name: String = "adam", cell: RecurrentCell = .rnn,
    nonlinearity: Nonlinearity = .tanh
) -> (ManyToManyModel, Vocabulary, Optimizer) {
    let vocabulary = Vocabulary(text: "hello world, héllo 🙂\n")
    var rng = SeededRandom(seed: 3)
    let model = ManyToManyModel(
        inputSize: vocabulary.count, hiddenSize: hidden, outputSize: vocabulary.count,
        numLayers: layers, cell: cell, nonlinearity: nonlinearity, using: &rng)
    let optimizer = makeOptimizer(named: name, learningRate: 0.01)!
    let tokens = try! vocabulary.encode("hello world, héllo 🙂\n")
    for _ in 0..<3 {
        model.computeGradients(.tokens(Array(tokens.dropLast())), targets: Array(tokens.dropFirst()), batchSize: 1)
        optimizer.step(model.parameters)
    }
    return (model, vocabulary, optimizer)
}

private func bits(_ values: some Collection<Float>) -> [UInt32] { values.map(\.bitPattern) }

/// The configuration a format-4 file stores as JSON.
private func storedConfiguration(_ file: SafeTensorsFile) throws -> ManyToManyModel.Configuration {
    try JSONDecoder().decode(ManyToManyModel.Configuration.self, from: Data(try #require(file.metadata["configuration"]).utf8))
}

/// A checkpoint's file (as format version 4 writes it, or with `legacy` as versions 1–3
/// did: the configuration as separate keys) with one change, re-read; the error it throws.
private func error(cell: RecurrentCell = .rnn, legacy: Bool = false, after change: (inout SafeTensorsFile) -> Void) -> CheckpointError? {
    let (model, vocabulary, optimizer) = trainedModel(cell: cell)
    let checkpoint = Checkpoint(
        model: model, vocabulary: vocabulary, optimizer: OptimizerState(capturing: optimizer),
        training: TrainingState(
            step: 3, epoch: 0, stepInEpoch: 3, rngState: [1, 2, 3, 4],
            hiddenState: [Float](repeating: 0.5, count: model.rnn.stateSize(batchSize: 3))))
    var file = legacy ? checkpoint.versionThreeSafeTensors : checkpoint.safeTensors
    change(&file)
    do {
        _ = try Checkpoint(SafeTensorsFile(bytes: file.serialized()))
        return nil
    } catch let e as CheckpointError {
        return e
    } catch {
        Issue.record("unexpected error \(error)")
        return nil
    }
}

@Suite struct CheckpointRoundTripTests {
    @Test func roundTripKeepsEverythingBitForBit() throws {
        let (model, vocabulary, optimizer) = trainedModel()
        let hidden = (0..<(2 * 3 * 6)).map { Float($0) / 7 }
        let checkpoint = Checkpoint(
            model: model, vocabulary: vocabulary, initialization: .orthogonal,
            optimizer: OptimizerState(capturing: optimizer),
            training: TrainingState(step: 3, epoch: 1, stepInEpoch: 2, rngState: [9, 8, 7, 6], hiddenState: hidden),
            metadata: ["seq_length": "64", "note": "é\n\"quoted\""],
            tensors: ["history.loss": .init(shape: [3], values: [3, 2, 1])])
        let bytes = checkpoint.safeTensors.serialized()
        let loaded = try Checkpoint(try SafeTensorsFile(bytes: bytes))

        #expect(loaded.vocabulary == .characters(vocabulary))
        #expect(loaded.initialization == .orthogonal)
        #expect(loaded.model.rnn.hiddenSize == 6 && loaded.model.rnn.numLayers == 2 && loaded.model.rnn.vanillaNonlinearity == .tanh)
        #expect(bits(loaded.model.parameters.values) == bits(model.parameters.values))
        #expect(loaded.model.parameters.slots == model.parameters.slots)
        #expect(loaded.optimizer == OptimizerState(capturing: optimizer))
        #expect(loaded.training == checkpoint.training)
        #expect(loaded.metadata == ["seq_length": "64", "note": "é\n\"quoted\""])
        #expect(loaded.tensors == ["history.loss": .init(shape: [3], values: [3, 2, 1])])
        // Writing the loaded checkpoint again gives the same bytes.
        #expect(loaded.safeTensors.serialized() == bytes)
    }

    /// Each cell: PyTorch's names and gate-stacked shapes, the `cell` key, the carried
    /// state (`[L, B, H]`, or `[2, L, B, H]` for the LSTM), and a bit-exact round trip
    /// whose model continues from the carried state exactly like the original.
    @Test(arguments: RecurrentCell.allCases)
    func roundTripPerCell(cell: RecurrentCell) throws {
        let (model, vocabulary, optimizer) = trainedModel(cell: cell)
        let B = 3, H = 6, L = 2, G = cell.gateCount, V = vocabulary.count
        let hidden = (0..<model.rnn.stateSize(batchSize: B)).map { Float($0 % 11) / 13 - 0.4 }
        #expect(hidden.count == cell.stateParts * L * B * H)
        let checkpoint = Checkpoint(
            model: model, vocabulary: vocabulary, initialization: .orthogonal,
            optimizer: OptimizerState(capturing: optimizer),
            training: TrainingState(step: 3, epoch: 0, stepInEpoch: 3, rngState: [1, 2, 3, 4], hiddenState: hidden))
        let file = checkpoint.safeTensors
        #expect(file.metadata["format_version"] == "4" && file.metadata["cell"] == nil)
        #expect(try storedConfiguration(file) == model.configuration)
        let legacy = checkpoint.versionThreeSafeTensors
        #expect(legacy.metadata["cell"] == cell.rawValue && legacy.metadata["configuration"] == nil)
        #expect(legacy.metadata["format_version"] == (cell == .rnn ? "1" : "2"))
        #expect(legacy.metadata["nonlinearity"] == (cell == .rnn ? "tanh" : nil))
        #expect(try Checkpoint(legacy).model.configuration == model.configuration)
        for k in 0..<L {
            #expect(file.tensors["rnn.weight_ih_l\(k)"]?.shape == [G * H, k == 0 ? V : H])
            #expect(file.tensors["rnn.weight_hh_l\(k)"]?.shape == [G * H, H])
            #expect(file.tensors["rnn.bias_ih_l\(k)"]?.shape == [G * H])
            #expect(file.tensors["rnn.bias_hh_l\(k)"]?.shape == [G * H])
            #expect(file.tensors["optimizer.exp_avg.rnn.weight_hh_l\(k)"]?.shape == [G * H, H])
        }
        #expect(file.tensors["fc.weight"]?.shape == [V, H] && file.tensors["fc.bias"]?.shape == [V])
        #expect(file.tensors.keys.filter { $0.hasPrefix("rnn.") || $0.hasPrefix("fc.") }.count == 4 * L + 2)
        #expect(file.tensors["training.hidden_state"]?.shape == (cell == .lstm ? [2, L, B, H] : [L, B, H]))
        #expect(
            Checkpoint.hiddenStateShape(cell: cell, numLayers: L, batchSize: B, hiddenSize: H)
                == file.tensors["training.hidden_state"]?.shape)

        let bytes = file.serialized()
        let loaded = try Checkpoint(try SafeTensorsFile(bytes: bytes))
        #expect(loaded.model.rnn.cell == cell && loaded.model.rnn.vanillaNonlinearity == (cell == .rnn ? .tanh : nil))
        #expect(loaded.model.parameters.slots == model.parameters.slots)
        #expect(bits(loaded.model.parameters.values) == bits(model.parameters.values))
        #expect(loaded.optimizer == OptimizerState(capturing: optimizer))
        #expect(loaded.training == checkpoint.training)
        #expect(loaded.initialization == .orthogonal)
        #expect(loaded.safeTensors.serialized() == bytes)
        // The loaded model continues from the carried state like the original.
        let tokens = try vocabulary.encode("hello ")
        let inputs = tokens.flatMap { [Int32](repeating: $0, count: B) }
        let a = model.forward(.tokens(inputs), batchSize: B, initialState: hidden)
        let b = loaded.model.forward(.tokens(inputs), batchSize: B, initialState: loaded.training?.hiddenState)
        #expect(bits(a.storage) == bits(b.storage))
        #expect(bits(model.rnn.finalState()) == bits(loaded.model.rnn.finalState()))
    }

    /// An embedding, tied weights and dropout: format 4 (and 3, as the old writer made
    /// it), `embedding.weight` [V, E], no
    /// `fc.weight` when tied, and the configuration read back whole.
    @Test(arguments: [false, true])
    func roundTripWithEmbeddingAndDropout(tied: Bool) throws {
        let vocabulary = Vocabulary(text: "hello world")
        let V = vocabulary.count, H = 6
        var rng = SeededRandom(seed: 17)
        let configuration = ManyToManyModel.Configuration(
            inputSize: V, outputSize: V, recurrent: .init(cell: .lstm, hiddenSize: H, numLayers: 2),
            embeddingSize: H, tiedWeights: tied, dropout: 0.3, dropoutSeed: 42)
        let model = ManyToManyModel(configuration, using: &rng)
        let file = Checkpoint(model: model, vocabulary: vocabulary).safeTensors
        #expect(file.metadata["format_version"] == "4")
        #expect(try storedConfiguration(file) == configuration)
        let legacy = Checkpoint(model: model, vocabulary: vocabulary).versionThreeSafeTensors
        #expect(legacy.metadata["format_version"] == "3")
        #expect(legacy.metadata["embedding_size"] == "6" && legacy.metadata["dropout"] == "0.3" && legacy.metadata["dropout_seed"] == "42")
        #expect(legacy.metadata["tie_weights"] == (tied ? "true" : nil))
        #expect(try Checkpoint(legacy).model.configuration == configuration)
        #expect(file.tensors["embedding.weight"]?.shape == [V, H])
        #expect((file.tensors["fc.weight"] == nil) == tied)
        #expect(file.tensors["rnn.weight_ih_l0"]?.shape == [4 * H, H])
        let loaded = try Checkpoint(try SafeTensorsFile(bytes: file.serialized()))
        #expect(loaded.model.configuration == configuration)
        #expect(bits(loaded.model.parameters.values) == bits(model.parameters.values))
        let inputs = try vocabulary.encode("hello")
        #expect(
            bits(model.forward(.tokens(inputs), batchSize: 1).storage) == bits(loaded.model.forward(.tokens(inputs), batchSize: 1).storage))
    }

    /// Byte and word vocabularies: `unit`, the words one per line (none for bytes), format 4,
    /// read back equal; a damaged word list is named.
    @Test func byteAndWordVocabularies() throws {
        var rng = SeededRandom(seed: 3)
        let words = TextVocabulary.words(WordVocabulary(counting: "the cat sat.\nthe dog ran!\n", limit: nil))
        for vocabulary in [words, TextVocabulary.bytes] {
            let V = vocabulary.count
            let model = ManyToManyModel(inputSize: V, hiddenSize: 4, outputSize: V, using: &rng)
            let file = Checkpoint(model: model, vocabulary: vocabulary).safeTensors
            #expect(file.metadata["unit"] == vocabulary.unit.rawValue && file.metadata["format_version"] == "4")
            #expect(try storedConfiguration(file).inputSize == V)
            #expect(file.metadata["vocabulary"] == (vocabulary == .bytes ? nil : "<unk>\n<eos>\nthe\ncat\nsat\n.\ndog\nran\n!"))
            let loaded = try Checkpoint(try SafeTensorsFile(bytes: file.serialized()))
            #expect(loaded.vocabulary == vocabulary)
        }
        let model = ManyToManyModel(inputSize: words.count, hiddenSize: 4, outputSize: words.count, using: &rng)
        var file = Checkpoint(model: model, vocabulary: words).safeTensors
        file.metadata["vocabulary"] = "the\ncat\n<unk>\n<eos>\nsat\n.\ndog\nran\n!"
        #expect(throws: CheckpointError.self) { try Checkpoint(file) }
        file.metadata["vocabulary"] = "<unk>\n<eos>\nthe\nthe\nsat\n.\ndog\nran\n!"
        #expect(throws: CheckpointError.self) { try Checkpoint(file) }
        file.metadata["unit"] = "token"
        #expect(throws: CheckpointError.self) { try Checkpoint(file) }
    }

    /// Files from before GRU and LSTM have no `cell` key: they are vanilla RNNs.
    @Test func aFileWithoutACellIsAVanillaRNN() throws {
        let (model, vocabulary, _) = trainedModel(nonlinearity: .relu)
        var file = Checkpoint(model: model, vocabulary: vocabulary).versionThreeSafeTensors
        file.metadata["cell"] = nil
        file.metadata["format_version"] = nil
        let loaded = try Checkpoint(SafeTensorsFile(bytes: file.serialized()))
        #expect(loaded.model.rnn.cell == .rnn && loaded.model.rnn.vanillaNonlinearity == .relu)
        #expect(bits(loaded.model.parameters.values) == bits(model.parameters.values))
        #expect(
            try storedConfiguration(loaded.safeTensors).recurrent == .init(cell: .rnn, hiddenSize: 6, numLayers: 2, nonlinearity: .relu))
    }

    @Test func tensorNamesAndMetadataArePyTorchs() {
        let (model, vocabulary, optimizer) = trainedModel()
        let file = Checkpoint(
            model: model, vocabulary: vocabulary, optimizer: OptimizerState(capturing: optimizer),
            training: TrainingState(step: 3, epoch: 0, stepInEpoch: 3, rngState: [1, 2, 3, 4])
        ).safeTensors
        let V = vocabulary.count
        #expect(file.tensors["rnn.weight_ih_l0"]?.shape == [6, V])
        #expect(file.tensors["rnn.weight_hh_l0"]?.shape == [6, 6])
        #expect(file.tensors["rnn.bias_ih_l0"]?.shape == [6])
        #expect(file.tensors["rnn.bias_hh_l0"]?.shape == [6])
        #expect(file.tensors["rnn.weight_ih_l1"]?.shape == [6, 6])
        #expect(file.tensors["fc.weight"]?.shape == [V, 6])
        #expect(file.tensors["fc.bias"]?.shape == [V])
        #expect(file.tensors["optimizer.exp_avg.rnn.weight_hh_l1"]?.shape == [6, 6])
        #expect(file.tensors["optimizer.exp_avg_sq.fc.bias"]?.shape == [V])
        #expect(file.metadata["format"] == "swift-rnn.charrnn" && file.metadata["format_version"] == "4")
        #expect(file.metadata["vocabulary"] == vocabulary.joined)
        #expect(
            file.metadata["configuration"]
                == #"{"dropout":0,"dropoutSeed":0,"embeddingSize":0,"inputSize":12,"outputSize":12,"recurrent":{"bidirectional":false,"cell":"rnn","hiddenSize":6,"nonlinearity":"tanh","numLayers":2},"tiedWeights":false}"#
        )
        #expect(file.metadata["optimizer"] == "adam" && file.metadata["optimizer_step"] == "3")
        #expect(file.metadata["step"] == "3" && file.metadata["rng_state"] == "1,2,3,4")
        #expect(file.tensors["training.hidden_state"] == nil)
    }

    /// Every optimizer resumes exactly: the restored one takes the same next step.
    @Test(arguments: ["adam", "sgd", "adagrad", "rmsprop"])
    func optimizerStateResumesExactly(name: String) throws {
        let (model, vocabulary, optimizer) = trainedModel(optimizer: name)
        let loaded = try Checkpoint(
            SafeTensorsFile(
                bytes: Checkpoint(
                    model: model, vocabulary: vocabulary,
                    optimizer: OptimizerState(capturing: optimizer)
                ).safeTensors.serialized()))
        let restored = try #require(try loaded.optimizer?.makeOptimizer(for: loaded.model.parameters))
        #expect(restored.name == name && restored.stepCount == 3)
        let tokens = try vocabulary.encode("world hello")
        for (m, o) in [(model, optimizer), (loaded.model, restored)] {
            m.computeGradients(.tokens(Array(tokens.dropLast())), targets: Array(tokens.dropFirst()), batchSize: 1)
            o.step(m.parameters)
        }
        #expect(bits(model.parameters.values) == bits(loaded.model.parameters.values))
    }

    /// A file written by another writer: tensors in another order, a padded header,
    /// no format keys (only what a PyTorch export must provide).
    @Test func readsAFileFromAnotherWriter() throws {
        let (model, vocabulary, _) = trainedModel(layers: 1, hidden: 4, nonlinearity: .relu)
        let names = ["fc.bias", "rnn.bias_hh_l0", "fc.weight", "rnn.weight_hh_l0", "rnn.bias_ih_l0", "rnn.weight_ih_l0"]
        var data: [UInt8] = []
        var entries: [String] = []
        for name in names {
            let slot = model.parameters.slot(named: name)!
            let values = model.parameters.tensor(name)
            entries.append(
                "\"\(name)\":{\"dtype\":\"F32\",\"shape\":[\(slot.shape.map(String.init).joined(separator: ","))],\"data_offsets\":[\(data.count),\(data.count + 4 * values.count)]}"
            )
            for v in values { data += (0..<4).map { UInt8(truncatingIfNeeded: v.bitPattern >> (8 * UInt32($0))) } }
        }
        let vocabularyJSON = String(
            data: try JSONSerialization.data(withJSONObject: vocabulary.joined, options: .fragmentsAllowed), encoding: .utf8)!
        entries.insert(
            "\"__metadata__\":{\"nonlinearity\":\"relu\",\"num_layers\":\"1\",\"hidden_size\":\"4\",\"vocabulary\":\(vocabularyJSON)}",
            at: 2)
        var header = Array(("{" + entries.joined(separator: ", ") + "}").utf8)
        header += [UInt8](repeating: 0x20, count: 8 - header.count % 8 + 8)
        let bytes = (0..<8).map { UInt8(truncatingIfNeeded: UInt64(header.count) >> (8 * UInt64($0))) } + header + data
        let loaded = try Checkpoint(try SafeTensorsFile(bytes: bytes))
        #expect(loaded.vocabulary == .characters(vocabulary))
        #expect(loaded.model.rnn.cell == .rnn && loaded.model.rnn.vanillaNonlinearity == .relu)
        #expect(bits(loaded.model.parameters.values) == bits(model.parameters.values))
        #expect(loaded.optimizer == nil && loaded.training == nil && loaded.initialization == nil)
    }

    @Test func writeIsAtomicAndReadable() throws {
        let (model, vocabulary, _) = trainedModel()
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("checkpoint-\(UUID().uuidString).safetensors").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try Checkpoint(model: model, vocabulary: vocabulary).write(path: path)
        let loaded = try Checkpoint.read(path: path)
        #expect(bits(loaded.model.parameters.values) == bits(model.parameters.values))
    }

    @Test func coverageOfAnotherTextsVocabulary() throws {
        let (model, vocabulary, _) = trainedModel()
        let checkpoint = Checkpoint(model: model, vocabulary: vocabulary)
        try checkpoint.checkCovers(Vocabulary(text: "hello"))
        #expect(throws: CheckpointError.vocabularyMismatch(unknown: ["z", "Ж"], checkpointSize: vocabulary.count)) {
            try checkpoint.checkCovers(Vocabulary(text: "hello zЖ"))
        }
        #expect(
            CheckpointError.vocabularyMismatch(unknown: ["Ж"], checkpointSize: 12).description
                == "the text has 1 character that the checkpoint's vocabulary of 12 lacks: 'Ж' (U+0416)")
    }
}

/// Each way a well-formed safetensors file can fail to be a usable checkpoint throws a
/// precise error before any model is built (never a precondition failure).
@Suite struct CheckpointErrorTests {
    @Test func missingOrInvalidMetadata() {
        #expect(error { $0.metadata["vocabulary"] = nil } == .missingMetadata("vocabulary"))
        #expect(error(legacy: true) { $0.metadata["hidden_size"] = nil } == .missingMetadata("hidden_size"))
        #expect(
            error { $0.metadata["vocabulary"] = "" } == .invalidMetadata(key: "vocabulary", value: "", expected: "at least one character"))
        if case .invalidMetadata("vocabulary", _, let expected)? = error(after: { $0.metadata["vocabulary"] = "abca" }) {
            #expect(expected.contains("'a' (U+0061) repeats"))
        } else {
            Issue.record("duplicate vocabulary characters accepted")
        }
        #expect(
            error(legacy: true) { $0.metadata["hidden_size"] = "six" }
                == .invalidMetadata(key: "hidden_size", value: "six", expected: "an integer in 1...1048576"))
        #expect(
            error(legacy: true) { $0.metadata["hidden_size"] = "0" }
                == .invalidMetadata(key: "hidden_size", value: "0", expected: "an integer in 1...1048576"))
        #expect(
            error(legacy: true) { $0.metadata["num_layers"] = "-1" }
                == .invalidMetadata(key: "num_layers", value: "-1", expected: "an integer in 1...1024"))
        #expect(
            error(legacy: true) { $0.metadata["nonlinearity"] = "sigmoid" }
                == .invalidMetadata(key: "nonlinearity", value: "sigmoid", expected: "one of tanh, relu"))
        #expect(error(legacy: true) { $0.metadata["vocab_size"] = "3" } != nil)
        #expect(error { $0.metadata["format"] = "gguf" } == .unsupportedFormat("gguf", expected: "swift-rnn.charrnn"))
        #expect(error { $0.metadata["format_version"] = "5" } == .unsupportedVersion(5, newest: 4))
        #expect(error(legacy: true) { $0.metadata["format_version"] = "2" } == nil)
        #expect(
            error(legacy: true) { $0.metadata["tie_weights"] = "yes" }
                == .invalidMetadata(key: "tie_weights", value: "yes", expected: "true or false"))
        #expect(error(legacy: true) { $0.metadata["tie_weights"] = "true" } != nil)  // no embedding to tie to
        #expect(
            error(legacy: true) { $0.metadata["dropout"] = "1.5" }
                == .invalidMetadata(key: "dropout", value: "1.5", expected: "a probability in [0, 1)"))
        #expect(error(legacy: true) { $0.metadata["embedding_size"] = "8" } != nil)  // the file has no embedding.weight
        #expect(
            error { $0.metadata["rng_state"] = "1,2,3" }
                == .invalidMetadata(key: "rng_state", value: "1,2,3", expected: "four unsigned 32-bit integers separated by commas"))
        #expect(
            error { $0.metadata["step"] = "-4" }
                == .invalidMetadata(key: "step", value: "-4", expected: "an integer in 0...9007199254740992"))
        // Counters past 2^53 (Int.max among them) leave no room to count on: refused, not
        // accepted to overflow later (`stepCount += 1`, `epoch + 1`).
        for key in ["step", "epoch", "step_in_epoch", "optimizer_step"] {
            for value in ["9223372036854775807", "9007199254740993"] {
                #expect(
                    error { $0.metadata[key] = value }
                        == .invalidMetadata(key: key, value: value, expected: "an integer in 0...9007199254740992"), "\(key)")
            }
            #expect(error { $0.metadata[key] = "9007199254740992" } == nil, "\(key) at the bound")
        }
        #expect(
            error { $0.metadata["learning_rate"] = "nan" }
                == .invalidMetadata(key: "learning_rate", value: "nan", expected: "a finite non-negative number"))
    }

    /// The configuration's JSON (format 4): damaged, out of range, or not this vocabulary's.
    @Test func damagedConfigurations() {
        func replacing(_ old: String, _ new: String) -> (inout SafeTensorsFile) -> Void {
            { $0.metadata["configuration"] = $0.metadata["configuration"]!.replacingOccurrences(of: old, with: new) }
        }
        #expect(
            error { $0.metadata["configuration"] = "{" }.map {
                "\($0)".contains("'configuration' metadata is '{', expected a character model's configuration as JSON")
            } == true)
        #expect(
            error(after: replacing(#""cell":"rnn""#, #""cell":"transformer""#)).map {
                "\($0)".contains("as JSON (") && "\($0)".contains("transformer")
            } == true)
        for (old, new, problem) in [
            (#""hiddenSize":6"#, #""hiddenSize":0"#, "hidden size 0 is outside 1...1048576"),
            (#""numLayers":2"#, #""numLayers":5000"#, "num_layers 5000 is outside 1...1024"),
            (#""dropout":0"#, #""dropout":1.5"#, "dropout 1.5 is outside [0, 1)"),
            (#""tiedWeights":false"#, #""tiedWeights":true"#, "tied weights need an embedding"),
            (#""bidirectional":false"#, #""bidirectional":true"#, "reads forward only"),
            (#""inputSize":12"#, #""inputSize":13"#, "input and output sizes 13 and 12, but a vocabulary of 12 characters"),
        ] {
            let e = error(after: replacing(old, new))
            #expect(
                e.map { "\($0)".contains("expected a character model's configuration (") && "\($0)".contains(problem) } == true,
                "\(new): \(String(describing: e))")
        }
        // A configuration that parses and fits, but not the tensors: named by the shapes.
        #expect(
            error(after: replacing(#""hiddenSize":6"#, #""hiddenSize":7"#))
                == .shapeMismatch(
                    tensor: "rnn.weight_ih_l0", shape: [6, 12], expected: [7, 12],
                    because: "cell rnn, hidden_size 7, num_layers 2 and a vocabulary of 12 characters"))
    }

    @Test func missingUnexpectedAndMisshapenTensors() {
        #expect(error { $0.tensors["rnn.weight_hh_l1"] = nil } == .missingTensor("rnn.weight_hh_l1"))
        #expect(error { $0.tensors["fc.bias"] = nil } == .missingTensor("fc.bias"))
        // Metadata that disagrees with the tensors' shapes.
        let shape = error(legacy: true) { $0.metadata["hidden_size"] = "7" }
        #expect(
            shape
                == .shapeMismatch(
                    tensor: "rnn.weight_ih_l0", shape: [6, 12], expected: [7, 12],
                    because: "cell rnn, hidden_size 7, num_layers 2 and a vocabulary of 12 characters"))
        #expect(
            shape?.description
                == "tensor 'rnn.weight_ih_l0' has shape [6, 12] but should be [7, 12]: cell rnn, hidden_size 7, num_layers 2 and a vocabulary of 12 characters"
        )
        #expect(
            error(legacy: true) {
                $0.metadata["vocabulary"] = "abc"; $0.metadata["vocab_size"] = nil
            }
                == .shapeMismatch(
                    tensor: "rnn.weight_ih_l0", shape: [6, 12], expected: [6, 3],
                    because: "cell rnn, hidden_size 6, num_layers 2 and a vocabulary of 3 characters"))
        #expect(
            error(legacy: true) { $0.metadata["num_layers"] = "1" }
                == .unexpectedTensor("rnn.bias_hh_l1", because: "cell rnn, hidden_size 6, num_layers 1 and a vocabulary of 12 characters"))
        #expect(error(legacy: true) { $0.metadata["num_layers"] = "3" } == .missingTensor("rnn.weight_ih_l2"))
        #expect(error { $0.tensors["fc.bias"] = .init(shape: [2, 7], values: [Float](repeating: 0, count: 14)) } != nil)
        #expect(error { $0.tensors["fc.bias"]!.values[3] = .infinity } == .nonFiniteValues(tensor: "fc.bias"))
        #expect(error { $0.tensors["rnn.weight_hh_l0"]!.values[0] = .nan } == .nonFiniteValues(tensor: "rnn.weight_hh_l0"))
    }

    @Test func cellErrors() {
        #expect(
            error(legacy: true) { $0.metadata["cell"] = "transformer" }
                == .invalidMetadata(key: "cell", value: "transformer", expected: "one of rnn, gru, lstm"))
        // A GRU file whose 'cell' key is lost: the gate-stacked shapes say what it is.
        let lost = error(cell: .gru, legacy: true) {
            $0.metadata["cell"] = nil; $0.metadata["nonlinearity"] = "tanh"
        }
        #expect(
            lost
                == .shapeMismatch(
                    tensor: "rnn.weight_ih_l0", shape: [18, 12], expected: [6, 12],
                    because:
                        "cell rnn, hidden_size 6, num_layers 2 and a vocabulary of 12 characters (the shape is that of a gru layer; is the 'cell' metadata '' right?)"
                ))
        #expect(
            error(cell: .gru, legacy: true) { $0.metadata["cell"] = "lstm" }
                == .shapeMismatch(
                    tensor: "rnn.weight_ih_l0", shape: [18, 12], expected: [24, 12],
                    because:
                        "cell lstm, hidden_size 6, num_layers 2 and a vocabulary of 12 characters (the shape is that of a gru layer; is the 'cell' metadata 'lstm' right?)"
                ))
        // The vanilla RNN's options on a gated cell.
        #expect(
            error(cell: .lstm, legacy: true) { $0.metadata["nonlinearity"] = "relu" }
                == .invalidMetadata(
                    key: "nonlinearity", value: "relu", expected: "tanh or no value: it applies to the vanilla RNN only, not lstm"))
        #expect(error(cell: .lstm, legacy: true) { $0.metadata["nonlinearity"] = "tanh" } == nil)
        #expect(
            error(cell: .gru) { $0.metadata["initialization"] = "identity" }
                == .invalidMetadata(
                    key: "initialization", value: "identity",
                    expected: "default or orthogonal: identity applies to the vanilla RNN only, not gru"))
        // The LSTM's carried state has two parts, h and c.
        #expect(
            error(cell: .lstm) { $0.tensors["training.hidden_state"] = .init(shape: [2, 3, 6], values: [Float](repeating: 0, count: 36)) }
                == .shapeMismatch(
                    tensor: "training.hidden_state", shape: [2, 3, 6], expected: [2, 2, 3, 6],
                    because: "it must be [2, num_layers, batch, hidden_size] = [2, 2, batch, 6] (h then c)"))
        #expect(
            error(cell: .gru) {
                $0.tensors["training.hidden_state"] = .init(shape: [2, 2, 3, 6], values: [Float](repeating: 0, count: 72))
            }
                == .shapeMismatch(
                    tensor: "training.hidden_state", shape: [2, 2, 3, 6], expected: [2, 3, 6],
                    because: "it must be [num_layers, batch, hidden_size] = [2, batch, 6]"))
        #expect(
            error(cell: .lstm) {
                $0.tensors["training.hidden_state"] = .init(shape: [2, 2, 5, 6], values: [Float](repeating: 0, count: 120))
            } == nil)
    }

    @Test func optimizerAndTrainingStateErrors() {
        #expect(error { $0.metadata["optimizer"] = "lbfgs" } == .unknownOptimizer("lbfgs"))
        #expect(error { $0.tensors["optimizer.exp_avg.fc.bias"] = nil } == .missingTensor("optimizer.exp_avg.fc.bias"))
        #expect(
            error { $0.tensors["optimizer.exp_avg.fc.bias"] = .init(shape: [1], values: [0]) }
                == .shapeMismatch(
                    tensor: "optimizer.exp_avg.fc.bias", shape: [1], expected: [12], because: "it must have the shape of fc.bias"))
        #expect(error { $0.tensors["optimizer.exp_avg.nothing"] = .init(shape: [1], values: [0]) } != nil)
        #expect(
            error { $0.tensors["optimizer.exp_avg_sq.fc.weight"]!.values[0] = .nan }
                == .nonFiniteValues(tensor: "optimizer.exp_avg_sq.fc.weight"))
        #expect(
            error { file in file.metadata["optimizer"] = nil }
                == .unexpectedTensor("optimizer.exp_avg.fc.bias", because: "the metadata names no optimizer"))
        #expect(error { $0.tensors["training.hidden_state"] = .init(shape: [2, 3, 5], values: [Float](repeating: 0, count: 30)) } != nil)
        #expect(
            error { $0.metadata["step"] = nil } == .unexpectedTensor("training.hidden_state", because: "the metadata has no training step"))
    }

    /// Buffers that parse but do not belong to the optimizer are refused when it is rebuilt.
    @Test func optimizerBuffersMustFit() throws {
        let (model, _, _) = trainedModel()
        let n = model.parameters.count
        let sgd = OptimizerState(
            configuration: .defaults(.sgd, learningRate: 0.1), stepCount: 2,
            buffers: ["exp_avg": [Float](repeating: 0, count: n)])
        #expect(throws: CheckpointError.optimizerState("sgd keeps no buffer named exp_avg")) {
            try sgd.makeOptimizer(for: model.parameters)
        }
        let adam = OptimizerConfiguration.defaults(.adam, learningRate: 0.1)
        let short = OptimizerState(configuration: adam, stepCount: 2, buffers: ["exp_avg": [0, 1], "exp_avg_sq": [0, 1]])
        #expect(throws: CheckpointError.self) { try short.makeOptimizer(for: model.parameters) }
        let half = OptimizerState(configuration: adam, stepCount: 2, buffers: ["exp_avg": [Float](repeating: 0, count: n)])
        #expect(throws: CheckpointError.self) { try half.makeOptimizer(for: model.parameters) }
        let badBetas = OptimizerState(
            configuration: .adam(learningRate: 0.1, beta1: 1, beta2: 0.999, epsilon: 1e-8, weightDecay: 0),
            stepCount: 0, buffers: [:])
        #expect(throws: CheckpointError.optimizerState("adam betas must be in [0, 1), got (1.0, 0.999)")) {
            try badBetas.makeOptimizer(for: model.parameters)
        }
    }

    @Test func readErrorsOfTheFileItselfAreSafeTensorsErrors() throws {
        #expect(throws: SafeTensorsError.fileNotFound(path: "/nonexistent/x.safetensors")) {
            try Checkpoint.read(path: "/nonexistent/x.safetensors")
        }
        #expect(throws: SafeTensorsError.fileTooShort(byteCount: 3)) { try Checkpoint(SafeTensorsFile(bytes: [1, 2, 3])) }
    }
}

/// A valid checkpoint mutated a few hundred seeded ways (bytes flipped, runs overwritten,
/// the file cut or grown, digits of the header's numbers changed): every read ends in a
/// checkpoint or a thrown error with a message, never a trap.
@Suite struct CheckpointMutationTests {
    @Test func mutatedCheckpointsReadOrThrow() throws {
        let (model, vocabulary, optimizer) = trainedModel(layers: 1, hidden: 4)
        let good = Checkpoint(
            model: model, vocabulary: vocabulary, optimizer: OptimizerState(capturing: optimizer),
            training: TrainingState(
                step: 3, epoch: 0, stepInEpoch: 3, rngState: [1, 2, 3, 4],
                hiddenState: nil)
        ).safeTensors.serialized()
        let headerEnd = 8 + Int(good[0]) + Int(good[1]) << 8
        var rng = SeededRandom(seed: 2024)
        var (read, refused) = (0, 0)
        for round in 0..<400 {
            var bytes = good
            switch round % 5 {
            case 0:  // flip a few bytes anywhere
                for _ in 0...rng.index(below: 4) { bytes[rng.index(below: bytes.count)] ^= UInt8(1 << rng.index(below: 8)) }
            case 1:  // overwrite a run of the header with one byte
                let start = rng.index(below: headerEnd), n = 1 + rng.index(below: 16)
                let byte: UInt8 = [0x22, 0x7B, 0x7D, 0x2C, 0x3A, 0x39, 0x2D, 0x00, 0xFF][rng.index(below: 9)]
                for i in start..<min(start + n, bytes.count) { bytes[i] = byte }
            case 2:  // cut the file
                bytes = Array(bytes.prefix(rng.index(below: bytes.count)))
            case 3:  // grow it
                bytes += [UInt8](repeating: UInt8(rng.index(below: 256)), count: 1 + rng.index(below: 64))
            default:  // change a digit of a number in the header
                let digits = (8..<headerEnd).filter { (0x30...0x39).contains(bytes[$0]) }
                if let i = digits.randomElement(using: &rng) { bytes[i] = 0x30 + UInt8(rng.index(below: 10)) }
            }
            do {
                _ = try Checkpoint(SafeTensorsFile(bytes: bytes))
                read += 1
            } catch {
                #expect(!"\(error)".isEmpty)
                refused += 1
            }
        }
        #expect(read + refused == 400 && refused > 200, "read \(read), refused \(refused)")
    }
}
