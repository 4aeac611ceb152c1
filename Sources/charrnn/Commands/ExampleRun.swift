import Foundation
import Linalg
import RNN
import RNNTraining
import _ToolSupport

/// `charrnn train` without `--data`: the built-in example (`TutorialExample`). By default
/// the tutorial's 1-layer tanh RNN of 12 units learns three sentences; every model and
/// optimization option applies to it (their example defaults in `OptionTable`). The loss is
/// printed every 10 epochs, then the greedy completions of `good`, `hey` and `have` (to
/// stdout), e.g. `good i am fine `.
///
/// What cannot apply is refused by rule, not by a list: the data layout options (the
/// example's text is fixed: 3 sentences of 14 steps), `--keep-best` (no validation text),
/// `--track-gradients` (its gradient flow needs a training text), `--early-stop` (no validation),
/// and `--save-every` without `--checkpoint` (the example saves only when given a path).
struct ExampleRun {
    let command: CharRNN.Train

    /// The options the example cannot take, with why.
    static func rejectInapplicableOptions(_ c: CharRNN.Train) throws {
        if let option = c.dataOptions.givenLayoutOptions.first {
            throw CLIError(
                "\(option) needs --data FILE: it cuts a text into streams, and the built-in example's text is fixed (its three sentences are one batch of 3 streams × 14 steps)"
            )
        }
        if c.checkpoints.keepBest {
            throw CLIError(
                "--keep-best needs --data FILE: it keeps the checkpoint with the lowest validation loss, and the built-in example has no held-out text"
            )
        }
        let scheduleOptions =
            (c.optimization.lrSchedule != nil ? ["--lr-schedule"] : [])
            + c.optimization.givenScheduleOptions.map(\.flag).filter { $0 != "--lr-decay" }
        if let option = scheduleOptions.first {
            throw CLIError("\(option) needs --data FILE: the built-in example's schedule is --lr-decay's (× the factor per epoch)")
        }
        if c.optimization.earlyStop != nil {
            throw CLIError("--early-stop needs --data FILE: it watches the validation loss, and the built-in example has no held-out text")
        }
        if c.reporting.trackGradients {
            throw CLIError(
                "--track-gradients needs --data FILE: its gradient flow is measured on a chunk of the training text, and the built-in example's one batch is too short for it"
            )
        }
        if c.checkpoints.saveEvery != nil && c.checkpoints.checkpoint == nil {
            throw CLIError("--save-every needs --checkpoint PATH here: the built-in example saves only when given one")
        }
    }

    /// The example with every option given, else the example's default.
    var example: TutorialExample {
        let model = command.modelOptions, opt = command.optimization
        var example = TutorialExample()
        example.hiddenSize = model.hiddenSize ?? OptionTable.hiddenSize.exampleDefault!
        example.numLayers = model.numLayers ?? OptionTable.numLayers.exampleDefault!
        example.cell = model.cell ?? .rnn
        example.nonlinearity = model.nonlinearity ?? .tanh
        example.initialization = model.initialization ?? .pytorchDefault
        example.embeddingSize = model.embeddingSize ?? OptionTable.embeddingSize.exampleDefault!
        example.tiedWeights = model.tieWeights
        example.dropout = model.dropout ?? Float(OptionTable.dropout.exampleDefault)
        example.dropoutSeed = command.optimization.seed ?? OptionTable.seed
        example.optimizer = opt.optimizer ?? .adam
        example.learningRate = opt.learningRate ?? Float(OptionTable.learningRate.exampleDefault)
        example.learningRateDecay = opt.learningRateDecay ?? Float(OptionTable.learningRateDecay.exampleDefault)
        example.clipNorm = opt.clip ?? Float(OptionTable.clip.exampleDefault)
        example.weightDecay = opt.weightDecay
        example.epochs = opt.steps ?? opt.epochs ?? OptionTable.epochs.exampleDefault!  // one step per epoch
        return example
    }

    func run() throws {
        let quiet = command.reporting.quiet
        let example = self.example
        try Check.vanillaOnly(
            cell: example.cell, nonlinearity: command.modelOptions.nonlinearity,
            initialization: command.modelOptions.initialization)
        if example.tiedWeights {
            try TrainingConfiguration.checkTying(embeddingSize: example.embeddingSize, hiddenSize: example.hiddenSize)
        }
        let seed = command.optimization.seed ?? OptionTable.seed
        let checkpointPath = command.checkpoints.checkpoint
        if let checkpointPath { try OutputPath.checkWritable(checkpointPath, option: "--checkpoint") }
        if let path = command.reporting.history { try OutputPath.checkWritable(path, option: "--history") }
        if let path = command.reporting.plot { try OutputPath.checkWritable(path, option: "--plot") }

        let stack = Format.stack(
            cell: example.cell, nonlinearity: example.cell == .rnn ? example.nonlinearity : nil,
            numLayers: example.numLayers)
        let sentences = TutorialExample.sentences.map { "\"\($0)\"" }.joined(separator: ", ")
        if !quiet {
            let clip = example.clipNorm.map { $0 > 0 ? ", clip \(Format.number($0))" : "" } ?? ""
            Console.note(
                """
                No --data given, so this trains the built-in example: a \(stack) with \(example.hiddenSize) hidden units
                learns to continue three sentences one character at a time: \(sentences)
                (\(example.vocabulary.count) distinct characters, padded to 15; \(example.optimizer.rawValue), lr \(Format.number(example.learningRate))\(clip), \(example.epochs) epochs, seed \(seed)).
                """)
        }

        var history = History()
        var rng = SeededRandom(seed: seed)
        let trainer = example.makeTrainer(using: &rng)
        try trainer.model.setPrecision(command.precisionOptions.precision)  // validated with the options
        let vocabulary = example.vocabulary
        let started = now()
        do {
            try trainer.train(on: example.source, for: .epochs(example.epochs)) { event in
                guard case .step(let result) = event else { return }
                let epoch = trainer.position.step
                history.append(
                    .init(
                        step: epoch, epoch: epoch, trainLoss: Float(result.loss), validationLoss: nil,
                        tokensPerSecond: Float(Double(result.predictions) / max(result.seconds, 1e-9)),
                        learningRate: result.learningRate))
                if !quiet && (epoch % 10 == 0 || epoch == example.epochs) {
                    let width = String(example.epochs).count
                    let padded = String(repeating: " ", count: width - String(epoch).count) + String(epoch)
                    Console.note("epoch \(padded)/\(example.epochs)  loss \(Format.loss(result.loss))")
                }
                if let every = command.reporting.sampleEvery, epoch % every == 0 {
                    let length = command.reporting.sampleLength ?? OptionTable.sampleLength.exampleDefault!
                    let sample = try TextGenerator(model: trainer.model, vocabulary: .characters(vocabulary))
                        .generate(prime: [], length: length, temperature: OptionTable.sampleTemperature, topK: nil, rng: &rng)
                    Console.out("--- sample at step \(Format.count(epoch)) ---\n\(String(decoding: sample, as: UTF8.self))\n---\n")
                }
                if let every = command.checkpoints.saveEvery, epoch % every == 0, let checkpointPath {
                    try CheckpointFile.save(checkpoint(trainer.model, seed: seed, history: history), to: checkpointPath)
                }
            }
        } catch let error as TrainingError {
            throw CLIError("\(error), so the example stopped; try a smaller --lr (now \(Format.number(example.learningRate))) or --clip 5")
        }
        let seconds = now() - started

        if !quiet { Console.note("Greedy completions (each prefix continued with the most likely next character):") }
        for prefix in ["good", "hey", "have"] {
            Console.out(try TutorialExample.complete(prefix, model: trainer.model, vocabulary: vocabulary) + "\n")
        }

        if let checkpointPath {
            try CheckpointFile.save(checkpoint(trainer.model, seed: seed, history: history), to: checkpointPath)
        }
        if let path = command.reporting.history { try OutputPath.write(history.csv, to: path, option: "--history") }
        if let path = command.reporting.plot {
            try OutputPath.write(
                LossPlot(title: "charrnn built-in example: \(stack), \(example.hiddenSize) hidden").svg(history),
                to: path, option: "--plot")
        }
        guard !quiet else { return }
        var lines = ["Trained in \(Format.duration(seconds))\(checkpointPath.map { "; saved \($0)" } ?? "")."]
        if let checkpointPath {
            lines.append("Sample from it:  charrnn sample --checkpoint \(checkpointPath) --prime good --temperature 0 --length 11")
        } else {
            lines.append(
                "Keep the model with --checkpoint example.safetensors, then: charrnn sample --checkpoint example.safetensors --prime good --temperature 0 --length 11"
            )
        }
        lines.append("Next, train on your own UTF-8 text (a few MB of it is best):  charrnn train --data input.txt")
        lines.append("See charrnn train --help for the options.")
        Console.note(lines.joined(separator: "\n"))
    }

    /// The example's weights, vocabulary and loss history as a charrnn checkpoint.
    func checkpoint(_ model: ManyToManyModel, seed: UInt64, history: History) -> Checkpoint {
        Checkpoint(
            model: model, vocabulary: example.vocabulary, initialization: example.initialization,
            metadata: ["created_by": "charrnn \(CharRNN.configuration.version)", "example": "tutorial", "seed": String(seed)],
            tensors: history.tensors)
    }
}
