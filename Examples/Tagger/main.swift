// Many-to-many with bidirectional layers: tag each token of a variable-length sequence
// as a peak (greater than both neighbours) or not — a tag that needs the next token, so
// only the reverse direction can see it. Trained on two threads, saved half way, resumed
// from the file in one call (optimizer settings, schedule, position), and evaluated.
//
//   swift run -c release example-tagger [checkpoint-path]
import Foundation
import Linalg
import RNN
import RNNTraining

var rng = SeededRandom(seed: 3)
let (symbols, batchSize, maxLength) = (10, 32, 12)

/// A batch of 32 sequences of 4...12 digits; the tag of a digit is 1 when it is greater
/// than both its neighbours (the ends compare with their one neighbour).
@MainActor func makeBatch() throws -> ManyToManyModel.Batch {
    let lengths = (0..<batchSize).map { _ in 4 + rng.index(below: maxLength - 3) }
    let sequences = lengths.map { n in (0..<n).map { _ in rng.index(below: symbols) } }
    let tags = sequences.map { digits in
        digits.indices.map { t in
            let left = t > 0 ? digits[t - 1] : -1, right = t < digits.count - 1 ? digits[t + 1] : -1
            return digits[t] > left && digits[t] > right ? 1 : 0
        }
    }
    return try ManyToManyModel.Batch(sequences: sequences, targets: tags)
}

let train = BatchList(try (0..<16).map { _ in try makeBatch() }), test = BatchList(try (0..<4).map { _ in try makeBatch() })
let model = ManyToManyModel(
    .init(
        inputSize: symbols, outputSize: 2,
        recurrent: .init(cell: .gru, hiddenSize: 32, bidirectional: true)), using: &rng)
let trainer = Trainer(model: model, optimizer: AdamW(learningRate: 0.01, weightDecay: 0.01), workers: 2, clipNorm: 5)
trainer.schedule = LearningRateSchedule(base: 0.01, kind: .cosine(warmupSteps: 16, totalSteps: 30 * 16, minimum: 1e-3))
try trainer.train(on: train, for: .epochs(15))

// Save half way, then continue from the file alone, as another process would.
let path = CommandLine.arguments.dropFirst().first ?? FileManager.default.temporaryDirectory.path + "/tagger.safetensors"
try ModelCheckpoint(
    model: model, optimizer: OptimizerState(capturing: trainer.optimizer),
    training: trainer.trainingState(rngState: rng.state)
).write(path: path)
let resumed = try Trainer(resuming: try ModelCheckpoint<ManyToManyModel>.read(path: path), workers: 2)
try resumed.train(on: train, for: .epochs(30)) { event in
    if case .epochEnd(let epoch) = event, (epoch + 1) % 5 == 0 {
        print("epoch \(epoch + 1): held-out loss \(String(format: "%.3f", resumed.model.meanLoss(over: test).loss))")
    }
}

var (right, counted) = (0, 0)
for batch in test.batches {
    let logits = resumed.model.forward(batch.input, batchSize: batchSize, lengths: batch.lengths).storage
    for (r, tag) in batch.targets.enumerated() where tag >= 0 {
        right += (logits[2 * r + 1] > logits[2 * r] ? 1 : 0) == Int(tag) ? 1 : 0
        counted += 1
    }
}
print("saved \(path) at epoch 15, resumed to 30: \(right) of \(counted) held-out digits tagged right")
