import ArgumentParser
import Foundation
import Linalg
import RNN
import RNNTraining
import _ToolSupport

extension CharRNN {
    /// `charrnn eval`: how well a checkpoint predicts a text.
    struct Eval: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Measure how well a checkpoint predicts a text: cross-entropy, bits per token, perplexity.",
            discussion: """
                Reads the whole text as one stream of the checkpoint's tokens (characters,
                bytes or words, split as training split them; an unknown word is <unk>),
                carrying the recurrent state (h, and c for an LSTM) from each token to the
                next (in chunks of 256), and averages the cross-entropy of every prediction
                after the first token. Lower is better; a model that knows nothing scores
                ln(vocabulary size). The cell (rnn, gru or lstm), the sizes and the unit
                come from the checkpoint.

                Example:
                  charrnn eval --checkpoint model.safetensors --data held-out.txt
                """
        )

        @Option(help: ArgumentHelp("The checkpoint to evaluate.", valueName: "path"))
        var checkpoint: String

        @Option(help: ArgumentHelp("UTF-8 text to evaluate on.", valueName: "file"))
        var data: String

        @Option(
            parsing: .unconditional,
            help: ArgumentHelp(
                "Read the text as n parallel streams (training's layout: the text cut into n equal parts, each read from its start with its own state), one batch of n per step: faster, but each part starts from a zero state, so the loss differs slightly from one stream's (default: 1, the exact one-stream loss).",
                valueName: "n"))
        var streams = 1

        @OptionGroup var unknown: UnknownCharacterOptions
        @OptionGroup var precision: PrecisionOptions
        @OptionGroup var runtime: RuntimeOptions

        func validate() throws {
            try Check.range(streams, 1...65_536, "--streams")
        }

        /// Steps per forward chunk (the state is carried across chunks, so this only trades memory for speed).
        static let chunkLength = 256

        func run() throws {
            runtime.apply()
            let ck = try CheckpointFile.load(checkpoint, option: "--checkpoint")
            try precision.apply(to: ck.model)
            let corpus = try Corpus.load(
                path: data, option: "--data", vocabulary: ck.vocabulary,
                skipUnknown: unknown.skipUnknown, hint: "; pass --skip-unknown to drop them")
            let name = ck.vocabulary.unit.tokenName, short = ck.vocabulary.unit.shortName
            let parts = min(streams, max(1, (corpus.tokens.count - 1) / 2))  // each part predicts at least one token
            try MemoryBudget.requireForward(
                ck.model.configuration, rows: parts * Self.chunkLength, batchSize: parts, precision: precision.precision,
                what: "evaluating \(Format.plural(parts, "stream")) of \(Self.chunkLength) steps:", hint: "give fewer --streams")
            guard let streams = TokenStreams(tokens: corpus.tokens, batchSize: parts, seqLength: Self.chunkLength, partialChunks: true)
            else {
                throw CLIError(
                    "--data file '\(data)' has \(Format.plural(corpus.tokens.count, "usable \(name)")); evaluation needs at least 2 (one to read, one to predict)"
                )
            }
            let threads = ComputeThreads.count
            let started = now()
            let (loss, count) = ck.model.withThreads(threads) { ck.model.meanLoss(over: streams) }
            let seconds = now() - started
            guard loss.isFinite else {
                throw CLIError(
                    "the model's loss on '\(data)' is not finite (\(loss)): the checkpoint's weights are out of range (too large, or damaged); use another checkpoint or retrain"
                )
            }
            Console.out(
                """
                checkpoint      \(checkpoint) (\(CheckpointFile.describe(ck)))
                data            \(data): \(Format.plural(corpus.tokens.count, name)), \(Format.count(count)) predicted\(parts > 1 ? " (as \(parts) streams)" : "")
                cross-entropy   \(String(format: "%.4f", loss)) nats/\(short)
                bits per \(short.padding(toLength: 7, withPad: " ", startingAt: 0))\(String(format: "%.4f", loss / log(2)))
                perplexity      \(String(format: "%.4f", exp(loss)))

                """)
            Console.note(
                "evaluated in \(Format.duration(seconds)) (\(Format.rate(Double(count) / max(seconds, 1e-9))) \(short)s/s, \(Format.plural(threads, "thread")), \(precision.precision))"
            )
        }
    }
}
