import Linalg
import RNN
import RNNTraining

/// `charrnn train` without `--data`: the built-in example (`TutorialExample`). A 1-layer
/// vanilla tanh RNN (the tutorial's; `--cell` and the other model options but the sizes
/// are refused) learns three sentences; the loss is printed every 10 epochs, then the greedy
/// completions of `good`, `hey` and `have` (to stdout), e.g. `good i am fine `.
struct ExampleRun {
    let command: CharRNN.Train

    /// Options that only make sense for `--data` runs.
    static func rejectDataOptions(_ c: CharRNN.Train) throws {
        let given: [(String, Bool)] = [
            ("--seq-length", c.dataOptions.seqLength != nil), ("--batch-size", c.dataOptions.batchSize != nil),
            ("--val-fraction", c.dataOptions.valFraction != nil), ("--cell", c.modelOptions.cell != nil),
            ("--nonlinearity", c.modelOptions.nonlinearity != nil),
            ("--init", c.modelOptions.initialization != nil), ("--optimizer", c.optimization.optimizer != nil),
            ("--lr-decay", c.optimization.learningRateDecay != nil), ("--clip", c.optimization.clip != nil),
            ("--steps", c.optimization.steps != nil), ("--save-every", c.checkpoints.saveEvery != nil),
            ("--keep-best", c.checkpoints.keepBest), ("--sample-every", c.reporting.sampleEvery != nil),
            ("--sample-length", c.reporting.sampleLength != nil),
        ]
        if let (option, _) = given.first(where: { $0.1 }) {
            throw CLIError("\(option) needs --data FILE: without it the built-in example trains its three sentences with fixed settings (it accepts --hidden-size, --num-layers, --lr, --epochs, --seed, --checkpoint, --history, --plot, --quiet and --threads)")
        }
    }

    func run() throws {
        let quiet = command.reporting.quiet
        var example = TutorialExample()
        if let h = command.modelOptions.hiddenSize { example.hiddenSize = h }
        if let l = command.modelOptions.numLayers { example.numLayers = l }
        if let lr = command.optimization.learningRate { example.learningRate = lr }
        if let e = command.optimization.epochs { example.epochs = e }
        let seed = command.optimization.seed ?? Defaults.seed
        let checkpointPath = command.checkpoints.checkpoint
        if let checkpointPath { try OutputPath.checkWritable(checkpointPath, option: "--checkpoint") }
        if let path = command.reporting.history { try OutputPath.checkWritable(path, option: "--history") }
        if let path = command.reporting.plot { try OutputPath.checkWritable(path, option: "--plot") }

        let sentences = TutorialExample.sentences.map { "\"\($0)\"" }.joined(separator: ", ")
        if !quiet {
            Console.note("""
                No --data given, so this trains the built-in example: a \(example.numLayers)-layer tanh RNN with \(example.hiddenSize) hidden units
                learns to continue three sentences one character at a time: \(sentences)
                (\(example.vocabulary.count) distinct characters, padded to 15; Adam, lr \(Format.number(example.learningRate)), \(example.epochs) epochs, seed \(seed)).
                """)
        }

        var history = History()
        var rng = SeededRandom(seed: seed)
        let tokensPerEpoch = example.batch.inputs.count
        let started = now()
        var last = started
        let run = try example.train(using: &rng) { epoch, loss in
            let t = now()
            history.append(.init(step: epoch, epoch: epoch, trainLoss: Float(loss), validationLoss: nil,
                                 tokensPerSecond: Float(Double(tokensPerEpoch) / max(t - last, 1e-9)),
                                 learningRate: example.learningRate))
            last = t
            if !quiet && (epoch % 10 == 0 || epoch == example.epochs) {
                let width = String(example.epochs).count
                let padded = String(repeating: " ", count: width - String(epoch).count) + String(epoch)
                Console.note("epoch \(padded)/\(example.epochs)  loss \(Format.loss(loss))")
            }
        }
        let seconds = now() - started

        if !quiet { Console.note("Greedy completions (each prefix continued with the most likely next character):") }
        for prefix in ["good", "hey", "have"] {
            Console.out(try run.complete(prefix) + "\n")
        }

        if let checkpointPath {
            let checkpoint = Checkpoint(model: run.model, vocabulary: run.vocabulary, initialization: .pytorchDefault,
                                        metadata: ["created_by": "charrnn \(CharRNN.configuration.version)",
                                                   "example": "tutorial", "seed": String(seed)],
                                        tensors: history.tensors)
            try CheckpointFile.save(checkpoint, to: checkpointPath)
        }
        if let path = command.reporting.history { try OutputPath.write(history.csv, to: path, option: "--history") }
        if let path = command.reporting.plot {
            try OutputPath.write(LossPlot(title: "charrnn built-in example: \(example.numLayers)-layer tanh RNN, \(example.hiddenSize) hidden").svg(history),
                                 to: path, option: "--plot")
        }
        guard !quiet else { return }
        var lines = ["Trained in \(Format.duration(seconds))\(checkpointPath.map { "; saved \($0)" } ?? "")."]
        if let checkpointPath {
            lines.append("Sample from it:  charrnn sample --checkpoint \(checkpointPath) --prime good --temperature 0 --length 11")
        } else {
            lines.append("Keep the model with --checkpoint example.safetensors, then: charrnn sample --checkpoint example.safetensors --prime good --temperature 0 --length 11")
        }
        lines.append("Next, train on your own UTF-8 text (a few MB of it is best):  charrnn train --data input.txt")
        lines.append("See charrnn train --help for the options.")
        Console.note(lines.joined(separator: "\n"))
    }
}
