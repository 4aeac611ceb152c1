import ArgumentParser
import RNN
import RNNTraining
import _ToolSupport

/// `charrnn train` data options. Every value is optional so that a resumed run can take
/// the checkpoint's value; `TrainingConfiguration` applies the defaults.
struct DataOptions: ParsableArguments {
    @Option(
        help: ArgumentHelp(
            "UTF-8 text file to train on. Without it (and without --resume), the built-in example is trained.", valueName: "file"))
    var data: String?

    @Option(
        parsing: .unconditional,
        help: ArgumentHelp("Steps of truncated backpropagation through time per chunk\(OptionTable.seqLength.defaultNote).", valueName: "n")
    )
    var seqLength: Int?

    @Option(
        parsing: .unconditional,
        help: ArgumentHelp(
            "Number of parallel streams the text is split into; one chunk of each forms a batch\(OptionTable.batchSize.defaultNote).",
            valueName: "n"))
    var batchSize: Int?

    @Option(
        help: ArgumentHelp(
            "What one token is: char (a Unicode scalar of UTF-8 text), byte (any file, 256 symbols, no UTF-8 needed; samples are raw bytes) or word (whitespace splits words, each punctuation mark is a token, <eos> ends every line, words outside --vocab-limit become <unk>; samples join words with spaces) (default: char).",
            valueName: "unit"))
    var unit: TextUnit?

    @Option(
        parsing: .unconditional,
        help: ArgumentHelp("--unit word: keep the n most frequent words; the rest become <unk> (default: all).", valueName: "n"))
    var vocabLimit: Int?

    @Option(
        parsing: .unconditional,
        help: ArgumentHelp(
            "Fraction of the text, taken from its end, held out to measure the validation loss after every epoch; 0 turns validation off\(OptionTable.valFraction.defaultNote).",
            valueName: "x"))
    var valFraction: Double?

    /// The layout options given: how to cut a text into tokens, streams and a validation
    /// tail, which the built-in example (its text fixed) cannot take.
    var givenLayoutOptions: [String] {
        [
            ("--unit", unit != nil), ("--vocab-limit", vocabLimit != nil),
            (OptionTable.seqLength.flag, seqLength != nil), (OptionTable.batchSize.flag, batchSize != nil),
            (OptionTable.valFraction.flag, valFraction != nil),
        ].filter(\.1).map(\.0)
    }

    func validate() throws {
        if let vocabLimit {
            try Check.range(vocabLimit, 2...RecurrentConfiguration.maximumInputSize - 2, "--vocab-limit")
            if unit != nil && unit != .word {
                throw CLIError("--vocab-limit applies to --unit word, not \(unit!.rawValue); give --unit word or drop --vocab-limit")
            }
        }
        if let seqLength { try OptionTable.seqLength.check(seqLength) }
        if let batchSize { try OptionTable.batchSize.check(batchSize) }
        if let seqLength, let batchSize, seqLength * batchSize > OptionTable.maximumChunkRows {
            throw CLIError(
                "--seq-length × --batch-size is \(Format.count(seqLength * batchSize)); at most \(Format.count(OptionTable.maximumChunkRows)) predictions fit in one step, make one of them smaller"
            )
        }
        if let valFraction, !OptionTable.valFraction.allows(valFraction) {
            throw CLIError(
                "--val-fraction must be a number from 0 to 0.5, e.g. 0.05 to hold out the last 5% of the text (got \(valFraction))")
        }
    }
}

/// `charrnn train` model options.
struct ModelOptions: ParsableArguments {
    @Option(
        help: ArgumentHelp(
            "Recurrent cell: rnn (vanilla Elman RNN, PyTorch's nn.RNN), gru (nn.GRU) or lstm (nn.LSTM); checkpoints name and shape the tensors as that PyTorch module does (default: rnn).",
            valueName: "cell"))
    var cell: RecurrentCell?

    @Option(parsing: .unconditional, help: ArgumentHelp("Hidden units per layer\(OptionTable.hiddenSize.defaultNote).", valueName: "n"))
    var hiddenSize: Int?

    @Option(
        parsing: .unconditional,
        help: ArgumentHelp("Number of stacked recurrent layers\(OptionTable.numLayers.defaultNote).", valueName: "n"))
    var numLayers: Int?

    @Option(
        help: ArgumentHelp(
            "Activation of the vanilla RNN's layers (--cell rnn only; GRU and LSTM have fixed sigmoid/tanh gates) (default: tanh).",
            valueName: "name"))
    var nonlinearity: Nonlinearity?

    @Option(
        name: .customLong("init"),
        help: ArgumentHelp(
            "Initialization of the recurrent weights: PyTorch's default uniform, a random orthogonal matrix (per gate block), or the identity with zero biases (--cell rnn with relu, 'IRNN') (default: default).",
            valueName: "scheme"))
    var initialization: RecurrentInitialization?

    @Option(
        parsing: .unconditional,
        help: ArgumentHelp(
            "Width of a learned token embedding (PyTorch's nn.Embedding, tensor embedding.weight [V, E]) in front of the first layer; 0 feeds each token to it as one-hot, a row gather\(OptionTable.embeddingSize.defaultNote).",
            valueName: "n"))
    var embeddingSize: Int?

    @Flag(
        help:
            "Make the output layer's weight the embedding (tied weights, as word_language_model's --tied): needs --embedding-size equal to --hidden-size. Saves the parameters of the output layer."
    )
    var tieWeights = false

    @Option(
        parsing: .unconditional,
        help: ArgumentHelp(
            "Dropout probability in training, as pytorch/examples' word_language_model: on the embedding's output, between recurrent layers (nn.LSTM(dropout=p)) and on the last layer's output before the output layer. Off in eval, sampling and validation\(OptionTable.dropout.defaultNote).",
            valueName: "p"))
    var dropout: Float?

    @Flag(
        help:
            "Refused: a character model predicts each token from the ones before it, so it reads forward only. Bidirectional layers are for taggers and classifiers, through the library (RecurrentConfiguration(bidirectional: true))."
    )
    var bidirectional = false

    /// The options that change the model's structure beyond the stack (`--embedding-size`,
    /// `--tie-weights`, `--dropout`), as given.
    var inputAndDropout: (embeddingSize: Int?, tiedWeights: Bool?, dropout: Float?) {
        (embeddingSize, tieWeights ? true : nil, dropout)
    }

    func validate() throws {
        if let hiddenSize { try OptionTable.hiddenSize.check(hiddenSize) }
        if let numLayers { try OptionTable.numLayers.check(numLayers) }
        if let embeddingSize { try OptionTable.embeddingSize.check(embeddingSize) }
        if let dropout { try OptionTable.dropout.check(Double(dropout)) }
        if let cell { try Check.vanillaOnly(cell: cell, nonlinearity: nonlinearity, initialization: initialization) }
        if bidirectional {
            throw CLIError(
                "--bidirectional: \(Checkpoint.bidirectionalProblem); bidirectional layers are for taggers and classifiers, through the library"
            )
        }
    }
}

/// `charrnn train` optimization options.
struct OptimizationOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Optimizer, with PyTorch's defaults besides the learning rate (default: adam).", valueName: "name"))
    var optimizer: OptimizerKind?

    @Option(
        name: .customLong("lr"), parsing: .unconditional,
        help: ArgumentHelp("Learning rate\(OptionTable.learningRate.defaultNote).", valueName: "x"))
    var learningRate: Float?

    @Option(
        name: .customLong("lr-decay"), parsing: .unconditional,
        help: ArgumentHelp("Multiply the learning rate by this after every epoch, in (0, 1] (default: 1, no decay).", valueName: "x"))
    var learningRateDecay: Float?

    @Option(
        name: .customLong("lr-schedule"),
        help: ArgumentHelp(
            "How the learning rate moves: constant; step (×--lr-decay per epoch, after --lr-decay-after epochs, char-rnn's, or every --lr-decay-every epochs, torch-rnn's and PyTorch's StepLR); cosine (linear warmup over --warmup-steps, then PyTorch's CosineAnnealingLR down to --min-lr at the last step); plateau (PyTorch's ReduceLROnPlateau on the validation loss: ×--plateau-factor after more than --plateau-patience epochs without improvement, not below --min-lr). Default: step when --lr-decay is given, else constant.",
            valueName: "name"))
    var lrSchedule: ScheduleName?

    @Option(
        name: .customLong("lr-decay-after"), parsing: .unconditional,
        help: ArgumentHelp("--lr-schedule step: keep the base rate for the first n epochs (default: 1).", valueName: "n"))
    var lrDecayAfter: Int?

    @Option(
        name: .customLong("lr-decay-every"), parsing: .unconditional,
        help: ArgumentHelp("--lr-schedule step: multiply by --lr-decay every n epochs instead.", valueName: "n"))
    var lrDecayEvery: Int?

    @Option(
        name: .customLong("warmup-steps"), parsing: .unconditional,
        help: ArgumentHelp("--lr-schedule cosine: steps of linear warmup (default: 0).", valueName: "n"))
    var warmupSteps: Int?

    @Option(
        name: .customLong("min-lr"), parsing: .unconditional,
        help: ArgumentHelp("--lr-schedule cosine or plateau: the lowest rate (default: 0).", valueName: "x"))
    var minLR: Float?

    @Option(
        name: .customLong("plateau-patience"), parsing: .unconditional,
        help: ArgumentHelp("--lr-schedule plateau: epochs without improvement tolerated (default: 10, PyTorch's).", valueName: "n"))
    var plateauPatience: Int?

    @Option(
        name: .customLong("plateau-factor"), parsing: .unconditional,
        help: ArgumentHelp("--lr-schedule plateau: the factor applied to the rate, in (0, 1) (default: 0.1, PyTorch's).", valueName: "x"))
    var plateauFactor: Float?

    @Option(
        name: .customLong("weight-decay"), parsing: .unconditional,
        help: ArgumentHelp(
            "Weight decay, as PyTorch's optimizers do it: an L2 term added to the gradient (adam, sgd, adagrad, rmsprop), or AdamW's decoupled shrinking of the weights (default: 0.01 for adamw, else 0).",
            valueName: "x"))
    var weightDecay: Float?

    @Option(
        name: .customLong("early-stop"), parsing: .unconditional,
        help: ArgumentHelp(
            "Stop when the validation loss has not improved for k epochs in a row (with --keep-best the best checkpoint is kept).",
            valueName: "k"))
    var earlyStop: Int?

    @Option(
        parsing: .unconditional,
        help: ArgumentHelp(
            "Clip the gradients' global norm to this (PyTorch's clip_grad_norm_); 0 turns clipping off\(OptionTable.clip.defaultNote).",
            valueName: "x"))
    var clip: Float?

    @Option(
        parsing: .unconditional,
        help: ArgumentHelp(
            "Train until this many epochs (passes over the text) are done, counting a resumed checkpoint's\(OptionTable.epochs.defaultNote).",
            valueName: "n"))
    var epochs: Int?

    @Option(
        parsing: .unconditional,
        help: ArgumentHelp(
            "Instead of --epochs: train until this many optimizer steps are done in total, counting a resumed checkpoint's.", valueName: "n"
        ))
    var steps: Int?

    @Option(
        parsing: .unconditional,
        help: ArgumentHelp(
            "Random seed for the initial weights and the samples (default: 0). A resumed run continues the checkpoint's random state.",
            valueName: "n"))
    var seed: UInt64?

    /// The schedule options given, each with the schedules it applies to (`--lr-decay`
    /// first: the built-in example takes it alone).
    var givenScheduleOptions: [(flag: String, schedules: [ScheduleName])] {
        let all: [(String, Bool, [ScheduleName])] = [
            ("--lr-decay", learningRateDecay != nil, [.step]), ("--lr-decay-after", lrDecayAfter != nil, [.step]),
            ("--lr-decay-every", lrDecayEvery != nil, [.step]), ("--warmup-steps", warmupSteps != nil, [.cosine]),
            ("--min-lr", minLR != nil, [.cosine, .plateau]), ("--plateau-patience", plateauPatience != nil, [.plateau]),
            ("--plateau-factor", plateauFactor != nil, [.plateau]),
        ]
        return all.filter(\.1).map { ($0.0, $0.2) }
    }

    func validate() throws {
        if let learningRate { try OptionTable.learningRate.check(Double(learningRate)) }
        if let learningRateDecay { try OptionTable.learningRateDecay.check(Double(learningRateDecay)) }
        if let clip { try OptionTable.clip.check(Double(clip)) }
        if let weightDecay { try OptionTable.weightDecay.check(Double(weightDecay)) }
        if let lrDecayAfter { try Check.range(lrDecayAfter, 0...1_000_000, "--lr-decay-after") }
        if let lrDecayEvery { try Check.range(lrDecayEvery, 1...1_000_000, "--lr-decay-every") }
        if let warmupSteps { try Check.range(warmupSteps, 0...1_000_000_000, "--warmup-steps") }
        if let minLR { try Check.positive(minLR, "--min-lr", allowZero: true) }
        if let plateauPatience { try Check.range(plateauPatience, 0...10_000, "--plateau-patience") }
        if let plateauFactor {
            try Check.positive(plateauFactor, "--plateau-factor", maximum: 0.999_999, meaning: " (below 1: the rate is multiplied by it)")
        }
        if lrDecayAfter != nil && lrDecayEvery != nil {
            throw CLIError(
                "give --lr-decay-after or --lr-decay-every, not both (char-rnn's decay after n epochs, or torch-rnn's every n epochs)")
        }
        if let earlyStop { try OptionTable.earlyStop.check(earlyStop) }
        if let epochs { try OptionTable.epochs.check(epochs) }
        if let steps { try OptionTable.steps.check(steps) }
        if epochs != nil && steps != nil {
            throw CLIError("give --epochs or --steps, not both (training stops at whichever you give)")
        }
    }
}

/// `charrnn train` checkpoint options.
struct CheckpointOptions: ParsableArguments {
    @Option(
        help: ArgumentHelp(
            "Where to save the model and training state (safetensors), after every epoch, at the end, and on Ctrl-C. Default for --data runs: the data file's name with .safetensors, in the current directory; with --resume: the resumed file. The built-in example saves only when given.",
            valueName: "path"))
    var checkpoint: String?

    @Option(parsing: .unconditional, help: ArgumentHelp("Also save the checkpoint every n steps.", valueName: "n"))
    var saveEvery: Int?

    @Option(
        help: ArgumentHelp(
            "Continue training from this checkpoint exactly where it stopped (weights, optimizer state, position in the data, random state). The data file, model and data layout come from the checkpoint.",
            valueName: "path"))
    var resume: String?

    @Flag(help: "Also keep the checkpoint with the lowest validation loss, as <checkpoint>.best.safetensors.")
    var keepBest = false

    func validate() throws {
        if let saveEvery { try Check.atLeast(saveEvery, 1, "--save-every") }
    }
}

/// `charrnn train` output options.
struct ReportingOptions: ParsableArguments {
    @Flag(help: "Print only the result (no header, progress or hints).")
    var quiet = false

    @Option(
        help: ArgumentHelp(
            "Write the loss history as CSV: step, epoch, train_loss, val_loss, tokens_per_second, learning_rate.", valueName: "file.csv"))
    var history: String?

    @Option(help: ArgumentHelp("Draw the train and validation loss curves as an SVG image.", valueName: "file.svg"))
    var plot: String?

    @Flag(
        help:
            "Record the gradients: per step the global norm before clipping and whether clipping fired; per epoch each parameter's mean gradient norm, the share of steps clipped, and the gradient flow (the k at which dL_t/dh_(t-k) has fallen 100-fold, see charrnn diagnose) — in the --history CSV, the --plot and the checkpoint."
    )
    var trackGradients = false

    @Option(parsing: .unconditional, help: ArgumentHelp("Print a short sample (temperature 0.8) to stdout every n steps.", valueName: "n"))
    var sampleEvery: Int?

    @Option(
        parsing: .unconditional,
        help: ArgumentHelp(
            "Length of the --sample-every samples in tokens (characters, bytes or words)\(OptionTable.sampleLength.defaultNote).",
            valueName: "n"))
    var sampleLength: Int?

    func validate() throws {
        if let sampleEvery { try Check.atLeast(sampleEvery, 1, "--sample-every") }
        if let sampleLength { try OptionTable.sampleLength.check(sampleLength) }
    }
}

/// `--lr-schedule`: the names of `LearningRateSchedule`'s kinds.
enum ScheduleName: String, CaseIterable, ExpressibleByArgument {
    case constant, step, cosine, plateau
}
