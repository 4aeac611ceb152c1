import Foundation
import Linalg
import RNN

/// The reference example of the classic RNN tutorial: a one-layer RNN with 12 hidden
/// units learns three sentences, padded with spaces to equal length, predicting each
/// next character; Adam (lr 0.01), 100 full-batch epochs. Greedily completing `good`
/// then gives `good i am fine `.
///
/// ```swift
/// let example = TutorialExample()
/// var rng = SeededRandom(seed: 0)
/// let run = try example.train(using: &rng) { epoch, loss in print(epoch, loss) }
/// run.complete("good")   // "good i am fine "
/// ```
package struct TutorialExample: Sendable {
    package static let sentences = ["hey how are you", "good i am fine", "have a nice day"]

    /// Hyperparameters of the tutorial (its model: a 1-layer tanh RNN of 12 units; Adam at
    /// 0.01, no clipping, 100 epochs of one full batch).
    package var hiddenSize = 12
    package var numLayers = 1
    package var learningRate: Float = 0.01
    package var epochs = 100
    /// The model and optimizer, changeable to try the same task with another setup.
    package var cell: RecurrentCell = .rnn
    package var nonlinearity: Nonlinearity = .tanh
    package var initialization: RecurrentInitialization = .pytorchDefault
    package var optimizer: OptimizerKind = .adam
    /// The learning rate of epoch `e` is `learningRate · learningRateDecay^e`.
    package var learningRateDecay: Float = 1
    /// Global-norm clipping; nil or 0: none.
    package var clipNorm: Float?
    /// The optimizer's weight decay; nil: its default (PyTorch's).
    package var weightDecay: Float?
    /// A token embedding of this width before the stack (0: one-hot input), the output
    /// layer tied to it, and the dropout probability (`ManyToManyModel.Configuration`'s).
    package var embeddingSize = 0
    package var tiedWeights = false
    package var dropout: Float = 0
    package var dropoutSeed: UInt64 = 0

    package init() {}

    /// The sentences padded with spaces to the longest length (15).
    package var padded: [String] {
        let n = Self.sentences.map(\.count).max()!
        return Self.sentences.map { $0 + String(repeating: " ", count: n - $0.count) }
    }

    /// The characters of the sentences (17 of them, space first).
    package var vocabulary: Vocabulary { Vocabulary(text: Self.sentences.joined()) }

    /// Inputs (all but the last character) and targets (all but the first) of the
    /// padded sentences, time-major `[T*B]` with `B = 3`, `T = 14`.
    package var batch: (inputs: [Int32], targets: [Int32], batchSize: Int, steps: Int) {
        let vocab = vocabulary
        let rows = padded.map { try! vocab.encode($0) }
        let T = rows[0].count - 1, B = rows.count
        var inputs = [Int32](repeating: 0, count: T * B), targets = inputs
        for t in 0..<T {
            for b in 0..<B {
                inputs[t * B + b] = rows[b][t]
                targets[t * B + b] = rows[b][t + 1]
            }
        }
        return (inputs, targets, B, T)
    }

    /// A trained model and its loss history.
    package struct Run {
        package let model: ManyToManyModel
        package let vocabulary: Vocabulary
        /// Mean loss of each epoch (before that epoch's update).
        package let losses: [Double]
        /// Total length of the completions (the padded sentence length).
        package let length: Int

        /// Greedy completion of `prefix` to the padded sentence length.
        package func complete(_ prefix: String) throws -> String {
            try TutorialExample.complete(prefix, model: model, vocabulary: vocabulary, length: length)
        }
    }

    /// Greedy completion of `prefix` by `model` to `length` characters (the padded
    /// sentence length, 15, by default).
    package static func complete(
        _ prefix: String, model: ManyToManyModel, vocabulary: Vocabulary,
        length: Int = 15
    ) throws -> String {
        let tokens = try vocabulary.encode(prefix)
        return prefix + vocabulary.decode(model.greedyContinuation(of: tokens, count: max(length - tokens.count, 0)))
    }

    /// The configuration of the model this example trains.
    package var modelConfiguration: ManyToManyModel.Configuration {
        let V = vocabulary.count
        return ManyToManyModel.Configuration(
            inputSize: V, outputSize: V,
            recurrent: RecurrentConfiguration(
                cell: cell, hiddenSize: hiddenSize, numLayers: numLayers,
                nonlinearity: nonlinearity),
            embeddingSize: embeddingSize, tiedWeights: tiedWeights, dropout: dropout,
            dropoutSeed: dropoutSeed)
    }

    /// The example's one batch, as a source of one batch per epoch.
    package var source: BatchList<ManyToManyModel.Batch> {
        let data = batch
        return BatchList([ManyToManyModel.Batch(input: .tokens(data.inputs), targets: data.targets, batchSize: data.batchSize)])
    }

    /// A new model (drawn from `rng`) and its trainer with the example's optimizer,
    /// learning-rate schedule and clipping, on one thread (the batch is tiny).
    package func makeTrainer(using rng: inout SeededRandom) -> Trainer<ManyToManyModel> {
        let model = ManyToManyModel(modelConfiguration, initialization: initialization, using: &rng)
        let optimizer = self.optimizer.make(learningRate: learningRate)
        if let weightDecay { optimizer.weightDecay = weightDecay }
        let trainer = Trainer(model: model, optimizer: optimizer, clipNorm: clipNorm)
        if learningRateDecay != 1 {
            let (base, decay) = (Double(learningRate), Double(learningRateDecay))
            trainer.learningRateSchedule = { Float(base * pow(decay, Double($0.epoch))) }
        }
        return trainer
    }

    /// Trains the tutorial's model through a `Trainer` (`makeTrainer`, one full batch per
    /// epoch), calling `progress(epoch, loss)` after each epoch (epochs counted from 1).
    /// - Throws: `TrainingError` if the loss became NaN or infinite (a larger learning rate).
    package func train(using rng: inout SeededRandom, progress: (Int, Double) -> Void = { _, _ in }) throws -> Run {
        let trainer = makeTrainer(using: &rng)
        var losses: [Double] = []
        try trainer.train(on: source, for: .epochs(epochs)) { event in
            guard case .step(let result) = event else { return }
            losses.append(result.loss)
            progress(trainer.position.epoch + 1, result.loss)
        }
        return Run(model: trainer.model, vocabulary: vocabulary, losses: losses, length: batch.steps + 1)
    }
}
