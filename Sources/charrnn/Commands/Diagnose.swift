import ArgumentParser
import Foundation
import Linalg
import RNN
import RNNTraining
import _ToolSupport

extension CharRNN {
    /// `charrnn diagnose`: the vanishing (or exploding) gradient of a checkpoint, measured.
    struct Diagnose: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Measure a checkpoint's gradient flow: how strongly the loss depends on the hidden state k steps back.",
            discussion: """
                Runs the first chunk of the text (--batch-size streams of --seq-length steps)
                and follows the loss at up to 16 steps back through time, with the backward
                pass training uses. For each layer it reports the mean norm of dL_t/dh_(t-k)
                for k = 0 ... --horizon: a vanilla RNN's falls geometrically (the vanishing
                gradient); a GRU's update gate can keep it up longer (an LSTM's long path runs
                through its cell state c, which this does not follow). Also: the singular values and
                the spectral radius of each recurrent weight block W_hh (per gate), and for
                GRU and LSTM how often each gate saturates.

                Examples:
                  charrnn diagnose --checkpoint model.safetensors --data input.txt
                  charrnn diagnose --checkpoint lstm.safetensors --data input.txt --horizon 100 --json flow.json --plot flow.svg
                """
        )

        @Option(help: ArgumentHelp("The checkpoint to diagnose.", valueName: "path"))
        var checkpoint: String

        @Option(help: ArgumentHelp("UTF-8 text whose first chunk is run.", valueName: "file"))
        var data: String

        @Option(parsing: .unconditional, help: ArgumentHelp("The largest k, in steps (default: 64).", valueName: "k"))
        var horizon: Int = 64

        @Option(parsing: .unconditional, help: ArgumentHelp("Steps of the chunk (default: twice --horizon, at least 16).", valueName: "n"))
        var seqLength: Int?

        @Option(
            parsing: .unconditional,
            help: ArgumentHelp("Streams the text is split into (default: 16, fewer when the text is short).", valueName: "n"))
        var batchSize: Int = 16

        @Option(
            help: ArgumentHelp(
                "Also write the measurements as JSON (gradient_norms per layer, singular_values per weight block, ...).",
                valueName: "file.json"))
        var json: String?

        @Option(
            help: ArgumentHelp(
                "Also draw the gradient-norm curves (log scale) and the W_hh spectra as an SVG image.", valueName: "file.svg"))
        var plot: String?

        @OptionGroup var unknown: UnknownCharacterOptions
        @OptionGroup var runtime: RuntimeOptions

        func validate() throws {
            try Check.range(horizon, 1...10_000, "--horizon")
            if let seqLength {
                try OptionTable.seqLength.check(seqLength)
                if seqLength <= horizon {
                    throw CLIError(
                        "--seq-length \(seqLength) must be larger than --horizon \(horizon): the loss at step t is followed back k steps within the chunk"
                    )
                }
            }
            try OptionTable.batchSize.check(batchSize)
        }

        var steps: Int { seqLength ?? max(2 * horizon, 16) }

        func run() throws {
            runtime.apply()
            if let json { try OutputPath.checkWritable(json, option: "--json") }
            if let plot { try OutputPath.checkWritable(plot, option: "--plot") }
            let ck = try CheckpointFile.load(checkpoint, option: "--checkpoint")
            let corpus = try Corpus.load(
                path: data, option: "--data", vocabulary: ck.vocabulary,
                skipUnknown: unknown.skipUnknown, hint: "; pass --skip-unknown to drop them")
            // Without --seq-length, a short text gets a shorter chunk (still longer than the horizon).
            let T = seqLength ?? max(horizon + 1, min(steps, corpus.tokens.count - 1))
            // As many streams as the text fills with one chunk, at most --batch-size.
            let B = min(batchSize, max(1, (corpus.tokens.count - 1) / T))
            try MemoryBudget.requireForward(ck.model.configuration, rows: T * B, batchSize: B, precision: ck.model.precision)
            guard let streams = TokenStreams(tokens: corpus.tokens, batchSize: B, seqLength: T, partialChunks: false) else {
                throw CLIError(
                    "--data file '\(data)' has \(Format.plural(corpus.tokens.count, "usable \(ck.vocabulary.unit.tokenName)")); a chunk of \(T) steps needs at least \(T + 1); use a longer text or a smaller --horizon / --seq-length"
                )
            }
            var batch = ManyToManyModel.Batch()
            streams.fill(0, epoch: 0, into: &batch)
            let model = ck.model
            let flow = model.gradientFlow(batch, horizon: horizon)
            guard flow.norms.allSatisfy({ $0.allSatisfy(\.isFinite) }) else {
                throw CLIError(
                    "the model's gradients on '\(data)' are not finite: the checkpoint's weights are out of range (too large, or damaged); use another checkpoint or retrain"
                )
            }
            let gates = model.rnn.gateStatistics()
            let spectra: [RecurrentWeightSpectrum]
            do { spectra = try model.rnn.recurrentWeightSpectra() } catch {
                throw CLIError("the checkpoint's recurrent weights could not be decomposed: \(error)")
            }
            guard spectra.allSatisfy({ $0.spectralRadius.isFinite && $0.singularValues.allSatisfy(\.isFinite) }) else {
                throw CLIError(
                    "the checkpoint's recurrent weights are out of range (their spectrum is not finite); use another checkpoint or retrain")
            }
            let report = DiagnosisReport(
                checkpoint: checkpoint, data: data, description: CheckpointFile.describe(ck),
                streams: B, chunkSteps: T, flow: flow, spectra: spectra, gates: gates,
                cell: model.rnn.cell)
            Console.out(report.table)
            if let json { try OutputPath.write(try report.json(), to: json, option: "--json") }
            if let plot { try OutputPath.write(report.svg, to: plot, option: "--plot") }
        }
    }
}
