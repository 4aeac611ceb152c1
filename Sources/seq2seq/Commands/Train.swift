import ArgumentParser
import Foundation
import Linalg
import RNN
import _ToolSupport

/// `--lr-schedule`: the rate throughout, or a cosine from `--lr` down to `--lr-min`.
enum ScheduleChoice: String, ExpressibleByArgument, CaseIterable {
    case constant, cosine
}

/// `--attention`: a score, or none.
enum AttentionChoice: String, ExpressibleByArgument, CaseIterable {
    case none, dot, general, additive

    var score: AttentionScore? { AttentionScore(rawValue: rawValue) }
}

extension Seq2Seq {
    /// `seq2seq train`: an encoder-decoder from a pairs file.
    struct Train: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Train an encoder-decoder (with attention) on a file of pairs: SOURCE<TAB>TARGET per line.",
            discussion: """
                The pairs are split by a seeded shuffle into training and --val-fraction
                validation; each side's vocabulary comes from the training pairs (a symbol
                seen only in validation reads as <unk>). Batches group pairs of similar
                source lengths and are reshuffled every epoch from --seed, so --resume
                continues exactly where an interrupted run stopped (Ctrl-C and SIGTERM save
                the checkpoint first).

                Examples:
                  seq2seq train --pairs dates.tsv --checkpoint dates.safetensors
                  seq2seq train --pairs en-fr.tsv --source-unit word --target-unit word \\
                                --source-vocabulary-limit 20000 --target-vocabulary-limit 20000 \\
                                --cell lstm --hidden-size 512 --bidirectional-encoder --checkpoint enfr.safetensors
                  seq2seq train --pairs dates.tsv --resume dates.safetensors --epochs 20 --checkpoint dates.safetensors
                """
        )

        @Option(help: ArgumentHelp("The pairs file: SOURCE<TAB>TARGET per line, UTF-8.", valueName: "path")) var pairs: String
        @Option(help: ArgumentHelp("The checkpoint to write (safetensors).", valueName: "path")) var checkpoint: String
        @Option(help: ArgumentHelp("What a source token is.", valueName: "char|word|byte")) var sourceUnit: TextUnit = .char
        @Option(help: ArgumentHelp("What a target token is.", valueName: "char|word|byte")) var targetUnit: TextUnit = .char
        @Option(help: ArgumentHelp("Keep the N most frequent source symbols (char, word); the rest read as <unk>.", valueName: "N"))
        var sourceVocabularyLimit: Int?
        @Option(help: ArgumentHelp("Keep the N most frequent target symbols (char, word); the rest become <unk>.", valueName: "N"))
        var targetVocabularyLimit: Int?
        @Option(help: ArgumentHelp("How the decoder scores the source positions.", valueName: "none|dot|general|additive"))
        var attention: AttentionChoice = .general
        @Flag(help: "Luong's input feeding: each decoder step also reads the previous step's attentional state (needs attention).")
        var inputFeeding = false
        @Option(help: ArgumentHelp("The recurrent cell of both stacks.", valueName: "rnn|gru|lstm")) var cell: RecurrentCell = .gru
        @Option(help: ArgumentHelp("Hidden units per layer.", valueName: "n")) var hiddenSize = 128
        @Option(help: ArgumentHelp("Stacked layers in the encoder and in the decoder.", valueName: "n")) var numLayers = 1
        @Flag(help: "Read each source both ways (a bridge makes the decoder's first state).") var bidirectionalEncoder = false
        @Option(help: ArgumentHelp("Passes over the training pairs.", valueName: "n")) var epochs = 10
        @Option(help: ArgumentHelp("Pairs per step.", valueName: "n")) var batchSize = 64
        @Option(help: ArgumentHelp("Optimizer, with PyTorch's defaults besides the learning rate.", valueName: "name"))
        var optimizer: OptimizerKind = .adam
        @Option(name: [.customLong("lr"), .customLong("learning-rate")], help: ArgumentHelp("Learning rate.", valueName: "x"))
        var learningRate: Float = 0.003
        @Option(
            name: .customLong("lr-schedule"),
            help: ArgumentHelp(
                "constant, or cosine: PyTorch's CosineAnnealingLR from --lr to --lr-min over all the steps of --epochs (a resumed run keeps the schedule it started with).",
                valueName: "constant|cosine"))
        var schedule: ScheduleChoice = .constant
        @Option(help: ArgumentHelp("--lr-schedule cosine: the last rate.", valueName: "x")) var lrMin = 1e-5
        @Option(help: ArgumentHelp("Seed of the initialization, the split and the batch order.", valueName: "n")) var seed: UInt64 = 0
        @Option(help: ArgumentHelp("The share of pairs held out for validation.", valueName: "f")) var valFraction = 0.05
        @Option(help: ArgumentHelp("Threads (default: one per core).", valueName: "n")) var threads: Int?
        @OptionGroup var precisionOptions: PrecisionOptions
        @OptionGroup var output: HistoryOptions
        @Option(
            help: ArgumentHelp(
                "Continue the training of this checkpoint to --epochs in all, on the same --pairs (model, vocabularies, batch size, split and seed come from the checkpoint): the result equals an uninterrupted run's.",
                valueName: "path"))
        var resume: String?
        @Flag(
            help: ArgumentHelp(
                "Train as one rank of a job started by mpirun -np N: each rank trains its share of every batch, gradients summed; rank 0 prints and saves. Epochs then leave out their partial batch."
            ))
        var distributed = false
        @Option(help: ArgumentHelp("--distributed: seconds a rank waits for the others before it gives up.", valueName: "s"))
        var mpiTimeout: Double?

        func validate() throws {
            for (value, range, name) in [
                (hiddenSize, 1...65_536, "--hidden-size"), (numLayers, 1...64, "--num-layers"), (epochs, 1...1_000_000, "--epochs"),
                (batchSize, 1...65_536, "--batch-size"),
            ] where !range.contains(value) {
                throw CLIError("\(name) \(value) is outside \(range.lowerBound)...\(range.upperBound)")
            }
            for (limit, unit, side) in [(sourceVocabularyLimit, sourceUnit, "source"), (targetVocabularyLimit, targetUnit, "target")] {
                guard let limit else { continue }
                if unit == .byte { throw CLIError("--\(side)-vocabulary-limit: a byte vocabulary is all 256 bytes; drop the limit") }
                if limit < 1 {
                    throw CLIError(
                        "--\(side)-vocabulary-limit \(limit) leaves only <unk>: every \(side) would read as unknown; give 1 or more")
                }
            }
            if inputFeeding && attention == .none {
                throw CLIError(
                    "--input-feeding feeds the attentional state back to the decoder: it needs --attention dot, general or additive")
            }
            if attention == .dot && bidirectionalEncoder {
                throw CLIError(
                    "--attention dot needs encoder outputs as wide as the decoder's; a bidirectional encoder's are twice as wide: use --attention general or additive"
                )
            }
            guard learningRate > 0 && learningRate.isFinite else { throw CLIError("--lr must be a positive number") }
            guard lrMin >= 0 && lrMin.isFinite else { throw CLIError("--lr-min must be a number ≥ 0") }
            guard (0..<1).contains(valFraction) else { throw CLIError("--val-fraction \(valFraction) is outside [0, 1)") }
            if let threads, !(1...256).contains(threads) { throw CLIError("--threads \(threads) is outside 1...256") }
            if let mpiTimeout, !(mpiTimeout > 0 && mpiTimeout.isFinite) {
                throw CLIError("--mpi-timeout must be a positive number of seconds")
            }
            if mpiTimeout != nil && !distributed { throw CLIError("--mpi-timeout applies to --distributed runs only") }
        }

        func run() throws {
            try OutputPath.checkWritable(checkpoint, option: "--checkpoint")
            try output.checkWritable()
            if let threads { ComputeThreads.count = threads }
            let cluster = distributed ? try PairCluster(timeout: mpiTimeout ?? 300) : nil
            try PairTraining(options: self, cluster: cluster).run()
        }
    }
}
