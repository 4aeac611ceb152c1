import Foundation
import Linalg
import ONNXExport
import RNN
import Testing
import ToolTesting

/// Every architecture × cell × {1, 2} layers × {one-directional, bidirectional where it
/// applies}, exported and run by ONNX Runtime (`scripts/onnx_check.py`, one Python process
/// for all): the checker passes with full checks, the outputs (logits and final states)
/// equal the library's forward within 1e-5, and stepping the graphs one token at a time
/// with their state outputs fed back reproduces the library's greedy decoding.
@Suite(.precision(.fp32)) struct ONNXRuntimeTests {
    static let (T, B) = (5, 3)
    static let lengths = [5, 3, 4]

    @Test(.enabled(if: ONNXPython.oracle.path != nil, Comment(rawValue: ONNXPython.oracle.skipReason)))
    func everyArchitectureRunsInONNXRuntimeAsInTheLibrary() throws {
        try withTemporaryDirectory { dir in
            var cases: [ONNXCase] = []
            var seed: UInt64 = 1
            for cell in RecurrentCell.allCases {
                for layers in [1, 2] {
                    for bidirectional in [false, true] {
                        seed += 1
                        let r = RecurrentConfiguration(
                            cell: cell, hiddenSize: 6, numLayers: layers,
                            nonlinearity: cell == .rnn && layers == 2 ? .relu : .tanh, bidirectional: bidirectional)
                        cases.append(try Self.manyToMany(r, seed: seed, in: dir))
                        cases.append(try Self.manyToOne(r, seed: seed, in: dir))
                        var encoder = r
                        encoder.bidirectional = false
                        cases.append(try Self.encoderDecoder(encoder, bidirectionalEncoder: bidirectional, seed: seed, in: dir))
                        if !bidirectional { cases.append(try Self.oneToMany(r, seed: seed, in: dir)) }
                    }
                }
            }
            // The input forms: an embedding, tied weights, dense vectors; and the softmax.
            let lstm = RecurrentConfiguration(cell: .lstm, hiddenSize: 6, numLayers: 2)
            cases.append(try Self.manyToMany(lstm, embeddingSize: 4, seed: 90, in: dir))
            cases.append(try Self.manyToMany(lstm, embeddingSize: 6, tied: true, seed: 91, in: dir))
            cases.append(try Self.manyToMany(lstm, vectors: true, softmax: true, seed: 92, in: dir))
            cases.append(
                try Self.manyToOne(RecurrentConfiguration(cell: .gru, hiddenSize: 6, bidirectional: true), vectors: true, seed: 93, in: dir)
            )
            cases.append(try Self.forecaster(lstm, loss: .quantiles([0.1, 0.5, 0.9]), seed: 94, in: dir))
            let bidirectionalGRU = RecurrentConfiguration(cell: .gru, hiddenSize: 6, bidirectional: true)
            cases.append(try Self.forecaster(bidirectionalGRU, loss: .squaredError, seed: 95, in: dir))
            cases.append(try Self.forecaster(lstm, loss: .quantiles([0.25, 0.75]), scaled: true, seed: 96, in: dir))
            cases.append(try Self.autoregressive(RecurrentConfiguration(cell: .gru, hiddenSize: 6, numLayers: 2), seed: 97, in: dir))
            cases.append(try Self.autoregressive(lstm, loss: .quantiles([0.1, 0.9]), seed: 98, in: dir))
            // Attention: each score, one- and two-directional encoders, every cell.
            cases.append(
                try Self.attention(.dot, RecurrentConfiguration(cell: .gru, hiddenSize: 6), bidirectional: false, seed: 101, in: dir))
            cases.append(try Self.attention(.general, lstm, bidirectional: true, seed: 102, in: dir))
            cases.append(
                try Self.attention(.additive, RecurrentConfiguration(cell: .rnn, hiddenSize: 6), bidirectional: true, seed: 103, in: dir))

            let json = try JSONEncoder().encode(cases)
            try json.write(to: URL(fileURLWithPath: dir + "/cases.json"))
            let (status, output) = try ONNXPython.oracle.run("onnx_check.py", ["cases.json"], in: dir)
            #expect(status == 0, "\(output)")
            #expect(output.hasSuffix("OK\n"), "\(output)")
            let passed = output.split(separator: "\n").filter { $0.hasPrefix("ok ") }
            #expect(passed.count == cases.count, "\(output)")
            #expect(output.components(separatedBy: "tokens identical").count - 1 == cases.filter { $0.greedy != nil }.count, "\(output)")
        }
    }

    static func manyToMany(
        _ r: RecurrentConfiguration, embeddingSize: Int = 0, tied: Bool = false, vectors: Bool = false,
        softmax: Bool = false, seed: UInt64, in dir: String
    ) throws -> ONNXCase {
        let V = 7, H = r.hiddenSize, blocks = r.numLayers * r.directions
        var data = CaseData(seed: seed)
        let model = ManyToManyModel(
            .init(inputSize: V, outputSize: V, recurrent: r, embeddingSize: embeddingSize, tiedWeights: tied, dropout: 0.3),
            using: &data.rng)
        let name =
            "many_to_many \(r.summary)\(embeddingSize > 0 ? ", embedding \(embeddingSize)" : "")\(tied ? ", tied" : "")\(vectors ? ", vectors" : "")"
        let file = dir + "/m2m-\(seed).onnx"
        try ONNXExport.write(model, to: file, options: .init(input: vectors ? .vectors : .tokens, softmax: softmax))
        let state = data.floats(r.stateBlocks * B * H)
        let lengths = r.bidirectional ? Self.lengths : nil
        var inputs = stateInputs(state, cell: r.cell, blocks: blocks, batchSize: B, hiddenSize: H)
        let input = data.sequenceInput(vectors: vectors, steps: T, batchSize: B, width: V, into: &inputs)
        if let lengths { inputs["lengths"] = .int32([B], lengths) }
        let logits = model.forward(input, batchSize: B, initialState: state, lengths: lengths)
        var final: [Float] = []
        model.finalState(into: &final)
        var expected = stateTensors(final, cell: r.cell, blocks: blocks, batchSize: B, hiddenSize: H)
        expected["logits"] = .float([T, B, V], logits.storage)
        if softmax {
            expected["probabilities"] = .float([T, B, V], Self.softmax(logits.storage, classes: V))
        }
        var greedy: ONNXCase.Greedy?
        if !r.bidirectional && !vectors {
            let prime = data.tokens(4, below: V)
            greedy = .init(
                kind: "many_to_many", file: file, prime: prime, count: 12, expected: model.greedyContinuation(of: prime, count: 12))
        }
        return ONNXCase(
            name: name, runs: [.init(file: file, inputs: inputs, expected: expected, valid_lengths: lengths)], greedy: greedy)
    }

    static func manyToOne(_ r: RecurrentConfiguration, vectors: Bool = false, seed: UInt64, in dir: String) throws -> ONNXCase {
        let V = 7, O = 3, H = r.hiddenSize, blocks = r.numLayers * r.directions
        var data = CaseData(seed: seed + 1000)
        let model = ManyToOneModel(.init(inputSize: V, outputSize: O, recurrent: r), using: &data.rng)
        let file = dir + "/m2o-\(seed)\(vectors ? "v" : "").onnx"
        try ONNXExport.write(model, to: file, options: .init(input: vectors ? .vectors : .tokens))
        var inputs: [String: TensorJSON] = ["lengths": .int32([B], lengths)]
        let input = data.sequenceInput(vectors: vectors, steps: T, batchSize: B, width: V, into: &inputs)
        let logits = model.forward(input, batchSize: B, lengths: lengths)
        var final: [Float] = []
        model.finalState(into: &final)
        var expected = stateTensors(final, cell: r.cell, blocks: blocks, batchSize: B, hiddenSize: H)
        expected["logits"] = .float([B, O], logits.storage)
        return ONNXCase(
            name: "many_to_one \(r.summary)\(vectors ? ", vectors" : "")",
            runs: [.init(file: file, inputs: inputs, expected: expected)])
    }

    /// A forecaster; with `scaled`, its graph takes and returns real units through a
    /// per-feature scaling (as a series checkpoint's scaler), checked against the model run
    /// on inputs scaled by hand and outputs mapped back by hand.
    static func forecaster(
        _ r: RecurrentConfiguration, loss: ForecastLoss, scaled: Bool = false, seed: UInt64, in dir: String
    ) throws -> ONNXCase {
        let I = 3, H = r.hiddenSize, blocks = r.numLayers * r.directions
        var data = CaseData(seed: seed)
        let model = ForecastModel(.init(inputSize: I, horizon: 4, targetCount: 2, loss: loss, recurrent: r), using: &data.rng)
        let file = dir + "/forecaster-\(seed).onnx"
        let O = model.configuration.outputSize
        let inputScaling = ONNXExportOptions.Scaling(offset: [10, -2, 0.5], scale: [4, 0.5, 2])
        let outputScaling = ONNXExportOptions.Scaling(
            offset: (0..<O).map { Float($0) * 3 }, scale: (0..<O).map { 1 + Float($0 % 3) })
        try ONNXExport.write(
            model, to: file,
            options: scaled ? .init(input: .vectors, inputScaling: inputScaling, outputScaling: outputScaling) : .init())
        var inputs: [String: TensorJSON] = [:]
        var input = data.sequenceInput(vectors: true, steps: T, batchSize: B, width: I, into: &inputs)
        if scaled, case .dense(let x) = input {
            // The graph's input is in real units: x·scale + offset; the model reads x.
            let real = x.storage.enumerated().map { $1 * inputScaling.scale[$0 % I] + inputScaling.offset[$0 % I] }
            inputs["inputs"] = .float([T, B, I], real)
            input = .dense(
                Matrix(
                    rows: x.rows, cols: I,
                    storage: real.enumerated().map { ($1 - inputScaling.offset[$0 % I]) / inputScaling.scale[$0 % I] }))
        }
        var outputs = model.predict(input, batchSize: B).storage
        if scaled { outputs = outputs.enumerated().map { $1 * outputScaling.scale[$0 % O] + outputScaling.offset[$0 % O] } }
        var expected = stateTensors(model.rnn.finalState(), cell: r.cell, blocks: blocks, batchSize: B, hiddenSize: H)
        expected["outputs"] = .float([B, O], outputs)
        return ONNXCase(
            name: "forecaster \(r.summary), loss \(loss)\(scaled ? ", real units" : "")",
            runs: [.init(file: file, inputs: inputs, expected: expected)])
    }

    /// An autoregressive forecaster's two graphs in real units (the scalings of a series
    /// checkpoint): the encoder's state from a window, and decoder steps from given previous
    /// values and state, against the model's stacks run on the inputs scaled by hand.
    static func autoregressive(
        _ r: RecurrentConfiguration, loss: ForecastLoss = .squaredError, seed: UInt64, in dir: String
    ) throws -> ONNXCase {
        let I = 3, K = 2, H = r.hiddenSize, L = r.numLayers
        var data = CaseData(seed: seed)
        let model = AutoregressiveForecastModel(
            .init(inputSize: I, horizon: 4, targetCount: K, loss: loss, recurrent: r), using: &data.rng)
        let O = model.configuration.stepOutputSize
        let inputScaling = ONNXExportOptions.Scaling(offset: [10, -2, 0.5], scale: [4, 0.5, 2])
        let outputScaling = ONNXExportOptions.Scaling(
            offset: (0..<O).map { 10 - 12 * Float($0 % K) }, scale: (0..<O).map { 4 - 3.5 * Float($0 % K) })
        let paths = try ONNXExport.write(
            model, to: dir + "/ar-\(seed).onnx", options: .init(input: .vectors, inputScaling: inputScaling, outputScaling: outputScaling))
        func real(_ x: [Float], width: Int) -> [Float] {
            x.enumerated().map { $1 * inputScaling.scale[$0 % width] + inputScaling.offset[$0 % width] }
        }
        func scaled(_ x: [Float], width: Int) -> [Float] {
            x.enumerated().map { ($1 - inputScaling.offset[$0 % width]) / inputScaling.scale[$0 % width] }
        }
        let window = real(data.floats(T * B * I, scale: 1), width: I)
        model.encoder.forward(.dense(Matrix(rows: T * B, cols: I, storage: scaled(window, width: I))), batchSize: B)
        let encoderRun = ONNXCase.Run(
            file: paths[0], inputs: ["inputs": .float([T, B, I], window)],
            expected: stateTensors(model.encoder.finalState(), cell: r.cell, blocks: L, batchSize: B, hiddenSize: H))
        let previous = real(data.floats(T * B * K, scale: 1), width: K)
        let state = data.floats(model.decoder.stateSize(batchSize: B))
        model.decoder.forward(.dense(Matrix(rows: T * B, cols: K, storage: scaled(previous, width: K))), batchSize: B, initialState: state)
        let steps = model.fc.forward(model.decoder.outputs).storage.enumerated().map {
            $1 * outputScaling.scale[$0 % O] + outputScaling.offset[$0 % O]
        }
        var expected = stateTensors(model.decoder.finalState(), cell: r.cell, blocks: L, batchSize: B, hiddenSize: H)
        expected["outputs"] = .float([T, B, O], steps)
        var inputs = stateInputs(state, cell: r.cell, blocks: L, batchSize: B, hiddenSize: H)
        inputs["inputs"] = .float([T, B, K], previous)
        return ONNXCase(
            name: "autoregressive forecaster \(r.summary), loss \(loss), real units",
            runs: [encoderRun, .init(file: paths[1], inputs: inputs, expected: expected)])
    }

    static func oneToMany(_ r: RecurrentConfiguration, seed: UInt64, in dir: String) throws -> ONNXCase {
        let F = 4, V = 9, H = r.hiddenSize, L = r.numLayers
        var data = CaseData(seed: seed + 2000)
        let model = OneToManyModel(.init(featureSize: F, vocabularySize: V, startToken: 8, recurrent: r), using: &data.rng)
        let paths = try ONNXExport.write(model, to: dir + "/o2m-\(seed).onnx")
        let features = data.floats(B * F, scale: 1)
        let initial = model.initialState(features: Matrix(rows: B, cols: F, storage: features))
        let initialRun = ONNXCase.Run(
            file: paths[0], inputs: ["features": .float([B, F], features)],
            expected: stateTensors(initial, cell: r.cell, blocks: L, batchSize: B, hiddenSize: H))
        let decoderRun = try decoderRun(
            rnn: model.rnn, fc: model.fc, vocabulary: V, file: paths[1], data: &data)
        let one = Array(features[0..<F])
        let generated = model.generate(features: Matrix(rows: 1, cols: F, storage: one), length: 10)[0]
        return ONNXCase(
            name: "one_to_many \(r.summary)", runs: [initialRun, decoderRun],
            greedy: .init(kind: "one_to_many", files: paths, features: .float([1, F], one), start: 8, count: 10, expected: generated))
    }

    static func encoderDecoder(
        _ r: RecurrentConfiguration, bidirectionalEncoder: Bool, seed: UInt64, in dir: String
    ) throws -> ONNXCase {
        let S = 6, Vt = 8, H = r.hiddenSize, L = r.numLayers
        var data = CaseData(seed: seed + 3000)
        let model = EncoderDecoderModel(
            .init(
                sourceVocabularySize: S, targetVocabularySize: Vt, startToken: 6, endToken: 7, recurrent: r,
                bidirectionalEncoder: bidirectionalEncoder),
            using: &data.rng)
        let paths = try ONNXExport.write(model, to: dir + "/ed-\(seed)\(bidirectionalEncoder ? "b" : "").onnx")
        #expect(
            paths.map { URL(fileURLWithPath: $0).lastPathComponent } == [
                "ed-\(seed)\(bidirectionalEncoder ? "b" : "").encoder.onnx", "ed-\(seed)\(bidirectionalEncoder ? "b" : "").decoder.onnx",
            ])
        let source = data.tokens(T * B, below: S)
        model.encoder.forward(.tokens(source), batchSize: B, lengths: lengths)
        var state = model.encoder.finalState(lengths: lengths)
        if bidirectionalEncoder { state = bridge(state, model: model, batchSize: B) }
        let encoderRun = ONNXCase.Run(
            file: paths[0], inputs: ["tokens": .int64([T, B], source), "lengths": .int32([B], lengths)],
            expected: stateTensors(state, cell: r.cell, blocks: L, batchSize: B, hiddenSize: H))
        let decoderRun = try decoderRun(rnn: model.decoder, fc: model.fc, vocabulary: Vt, file: paths[1], data: &data)
        let one = data.tokens(5, below: S)
        return ONNXCase(
            name: "encoder_decoder \(r.summary)\(bidirectionalEncoder ? ", bidirectional encoder" : "")",
            runs: [encoderRun, decoderRun],
            greedy: .init(
                kind: "encoder_decoder", files: paths, source: one, start: 6, stop: 7, count: 10,
                expected: model.translate(one, maxLength: 10)))
    }

    /// An encoder-decoder with attention: the encoder's state and `memory` (compared within
    /// each length), the decoder over random memory of uneven lengths (logits, state and
    /// weights), and greedy translation stepping the decoder graph with the encoder's memory.
    static func attention(
        _ score: AttentionScore, _ r: RecurrentConfiguration, bidirectional: Bool, seed: UInt64, in dir: String
    ) throws -> ONNXCase {
        let S = 6, Vt = 8, H = r.hiddenSize, L = r.numLayers, Td = 4
        var data = CaseData(seed: seed + 5000)
        let model = EncoderDecoderModel(
            .init(
                sourceVocabularySize: S, targetVocabularySize: Vt, startToken: 6, endToken: 7, recurrent: r,
                bidirectionalEncoder: bidirectional, attention: score),
            using: &data.rng)
        let paths = try ONNXExport.write(model, to: dir + "/attention-\(score.rawValue)-\(seed).onnx")
        let source = data.tokens(T * B, below: S), M = model.configuration.memoryWidth
        model.encoder.forward(.tokens(source), batchSize: B, lengths: lengths)
        var state = model.encoder.finalState(lengths: lengths)
        if bidirectional { state = bridge(state, model: model, batchSize: B) }
        var encoded = stateTensors(state, cell: r.cell, blocks: L, batchSize: B, hiddenSize: H)
        encoded["memory"] = .float([T, B, M], model.encoder.outputs.storage)
        let encoderRun = ONNXCase.Run(
            file: paths[0], inputs: ["tokens": .int64([T, B], source), "lengths": .int32([B], lengths)], expected: encoded,
            valid_lengths: lengths)
        let tokens = data.tokens(Td * B, below: Vt), initial = data.floats(model.decoder.stateSize(batchSize: B))
        let memory = data.floats(T * B * M, scale: 1)
        let decoded = model.attendedDecoding(tokens: tokens, batchSize: B, initialState: initial, memory: memory, memoryLengths: lengths)
        var expected = stateTensors(decoded.finalState, cell: r.cell, blocks: L, batchSize: B, hiddenSize: H)
        expected["logits"] = .float([Td, B, Vt], decoded.logits)
        expected["attention"] = .float([Td, B, T], decoded.weights)
        var inputs = stateInputs(initial, cell: r.cell, blocks: L, batchSize: B, hiddenSize: H)
        inputs["tokens"] = .int64([Td, B], tokens)
        inputs["memory"] = .float([T, B, M], memory)
        inputs["memory_lengths"] = .int32([B], lengths)
        let one = data.tokens(5, below: S)
        return ONNXCase(
            name: "encoder_decoder \(score.rawValue) attention \(r.summary)\(bidirectional ? ", bidirectional encoder" : "")",
            runs: [encoderRun, ONNXCase.Run(file: paths[1], inputs: inputs, expected: expected)],
            greedy: .init(
                kind: "encoder_decoder", files: paths, source: one, start: 6, stop: 7, count: 10,
                expected: model.translate(one, maxLength: 10)))
    }

    /// A decoder graph's run: tokens and a random state through `rnn` and `fc`.
    static func decoderRun(
        rnn: RecurrentStack, fc: Linear, vocabulary V: Int, file: String, data: inout CaseData
    ) throws -> ONNXCase.Run {
        let H = rnn.hiddenSize, L = rnn.numLayers
        let tokens = data.tokens(T * B, below: V)
        let state = data.floats(rnn.stateSize(batchSize: B))
        rnn.forward(.tokens(tokens), batchSize: B, initialState: state)
        let logits = fc.forward(rnn.outputs)
        var expected = stateTensors(rnn.finalState(), cell: rnn.cell, blocks: L, batchSize: B, hiddenSize: H)
        expected["logits"] = .float([T, B, V], logits.storage)
        var inputs = stateInputs(state, cell: rnn.cell, blocks: L, batchSize: B, hiddenSize: H)
        inputs["tokens"] = .int64([T, B], tokens)
        return .init(file: file, inputs: inputs, expected: expected)
    }

    /// The bridge of a bidirectional encoder, from its parameters by the definition
    /// (`decoder[p][k] = W_p · [encoder[p][2k]; encoder[p][2k+1]] + b_p`), loop by loop.
    static func bridge(_ encoder: [Float], model: EncoderDecoderModel, batchSize B: Int) -> [Float] {
        let r = model.configuration.recurrent, H = r.hiddenSize, L = r.numLayers
        var out: [Float] = []
        for (p, prefix) in ["bridge.", "bridge_cell."].prefix(r.cell.stateParts).enumerated() {
            let W = model.parameters.tensor(prefix + "weight"), bias = model.parameters.tensor(prefix + "bias")
            for k in 0..<L {
                for b in 0..<B {
                    for i in 0..<H {
                        var sum = bias[i]
                        for d in 0..<2 {
                            for j in 0..<H {
                                sum += W[i * 2 * H + d * H + j] * encoder[((p * 2 * L + 2 * k + d) * B + b) * H + j]
                            }
                        }
                        out.append(sum)
                    }
                }
            }
        }
        return out
    }

    static func softmax(_ logits: [Float], classes: Int) -> [Float] {
        stride(from: 0, to: logits.count, by: classes).flatMap { start -> [Float] in
            let row = logits[start..<start + classes], top = row.max()!
            let e = row.map { Float(exp(Double($0 - top))) }
            let sum = e.reduce(0, +)
            return e.map { $0 / sum }
        }
    }
}
