// Many-to-one: classify variable-length token sequences by their first token, trained on
// two threads through the Trainer, saved, reloaded and evaluated.
//
//   swift run -c release example-classifier [checkpoint-path]
import Foundation
import Linalg
import RNN
import RNNTraining

var rng = SeededRandom(seed: 1)
let (symbols, batchSize, maxLength) = (4, 32, 8)

/// A batch of 32 sequences of 3...8 tokens, each labelled with its first token (padded
/// and laid out time-major by the batch's initializer).
@MainActor func makeBatch() throws -> ManyToOneModel.Batch {
    let lengths = (0..<batchSize).map { _ in 3 + rng.index(below: maxLength - 2) }
    let sequences = lengths.map { n in (0..<n).map { _ in rng.index(below: symbols) } }
    return try ManyToOneModel.Batch(sequences: sequences, labels: sequences.map { $0[0] })
}

let train = BatchList(try (0..<10).map { _ in try makeBatch() }), test = BatchList(try (0..<4).map { _ in try makeBatch() })
let model = ManyToOneModel(
    .init(inputSize: symbols, outputSize: symbols, recurrent: .init(cell: .gru, hiddenSize: 24)),
    using: &rng)
let trainer = Trainer(model: model, optimizer: Adam(learningRate: 0.01), workers: 2, clipNorm: 5)
try trainer.train(on: train, for: .epochs(20)) { event in
    if case .epochEnd(let epoch) = event, (epoch + 1) % 5 == 0 {
        print("epoch \(epoch + 1): held-out loss \(String(format: "%.3f", model.meanLoss(over: test).loss))")
    }
}

let path = CommandLine.arguments.dropFirst().first ?? FileManager.default.temporaryDirectory.path + "/classifier.safetensors"
try ModelCheckpoint(
    model: model, optimizer: OptimizerState(capturing: trainer.optimizer),
    training: trainer.trainingState(rngState: rng.state)
).write(path: path)
let loaded = try ModelCheckpoint<ManyToOneModel>.read(path: path).model
let correct = test.batches.map { b in zip(loaded.predict(b), b.labels).filter { $0 == $1 }.count }.reduce(0, +)
print("saved \(path); reloaded: \(correct) of \(4 * batchSize) held-out sequences classified right")
