import Linalg
import RNN
import RNNTraining

/// One benchmark configuration: the model's shape, the batch layout and the corpus size.
///
/// A configuration either trains with **truncated BPTT** over a synthetic corpus of
/// `corpusTokens` tokens split into `batch` streams (an epoch is one pass over every
/// `seqLength`-step chunk, carrying the hidden state from chunk to chunk), or, like the
/// tutorial (`seed`), with **full-batch** steps: an epoch is `fullBatchSteps` updates on the
/// same single `[seqLength, batch]` batch from a zero state.
///
/// ```swift
/// var ref = BenchConfiguration.named("ref")!       // V 65, H 256, L 1, B 64, T 64
/// ref.hidden = 512
/// ref.tokensPerEpoch                               // chunks · B · T
/// let gru = ref.forCell(.gru)                      // a third of the chunks: 3 gate blocks
/// ```
struct BenchConfiguration: Sendable, Equatable, Codable {
    var name: String
    /// The recurrent cell: vanilla tanh RNN, GRU or LSTM (`G` = 1, 3 or 4 gate blocks).
    var cell: RecurrentCell = .rnn
    /// Vocabulary size `V` (one-hot input width and number of output classes).
    var vocab: Int
    /// Hidden size `H`.
    var hidden: Int
    /// Number of stacked RNN layers `L`.
    var layers: Int
    /// Number of parallel streams `B`.
    var batch: Int
    /// Truncated-BPTT length `T` (steps per chunk).
    var seqLength: Int
    /// Size of the synthetic corpus (truncated BPTT), or `batch · (seqLength + 1)` (full batch).
    var corpusTokens: Int
    /// Updates per epoch on one fixed batch (the tutorial's training), or nil for truncated BPTT.
    var fullBatchSteps: Int?
    /// True when the batch is the tutorial's three sentences rather than a synthetic corpus.
    var usesTutorialData: Bool
    var learningRate: Float
    var clipNorm: Float = 5
    /// The arithmetic of the step's GEMMs (`--precision`).
    var precision: Precision = .fp32

    /// Number of `T`-step chunks in each of the `B` streams (1 for full batch): as
    /// `TokenStreams` cuts the corpus, `((n − 1) / B) / T`.
    var chunksPerStream: Int {
        if fullBatchSteps != nil { return 1 }
        return max((corpusTokens - 1) / batch / seqLength, 0)
    }

    /// The model this configuration trains: a `V → H (× L) → V` character model.
    var model: ManyToManyModel.Configuration {
        ManyToManyModel.Configuration(
            inputSize: vocab, outputSize: vocab,
            recurrent: RecurrentConfiguration(cell: cell, hiddenSize: hidden, numLayers: layers))
    }

    /// Optimizer steps per epoch.
    var stepsPerEpoch: Int { fullBatchSteps ?? chunksPerStream }

    /// Tokens trained on (predicted) per epoch: steps · B · T.
    var tokensPerEpoch: Int { stepsPerEpoch * batch * seqLength }

    /// "truncated BPTT" or "full batch".
    var mode: String { fullBatchSteps == nil ? "truncated-bptt" : "full-batch" }

    /// The smallest corpus that gives one chunk per stream: `B · (T + 1)`.
    var minimumCorpusTokens: Int { batch * (seqLength + 1) }

    /// The name, with the cell when it is not the vanilla RNN: "ref", "ref/gru".
    var label: String { Self.label(name: name, cell: cell.rawValue) }

    /// `name`, or `name/cell` for a cell other than "rnn" (also for results read back).
    static func label(name: String, cell: String) -> String {
        cell == RecurrentCell.rnn.rawValue ? name : "\(name)/\(cell)"
    }
}

extension BenchConfiguration {
    /// The default suite. Token counts are chosen so that an epoch takes about 1-5 s on the
    /// reference 2-core machine with one thread, so the whole suite at 1 and 2 threads takes
    /// about three minutes (corpus sizes are whole chunks per stream plus one target token).
    static let defaults: [BenchConfiguration] = [
        // The tutorial example: V 17, H 12, B 3, T 14, 100 full-batch epochs, Adam lr 0.01.
        BenchConfiguration(
            name: "seed", vocab: 17, hidden: 12, layers: 1, batch: 3, seqLength: 14,
            corpusTokens: 3 * 15, fullBatchSteps: 100, usesTutorialData: true, learningRate: 0.01),
        .synthetic("small", vocab: 65, hidden: 128, layers: 1, batch: 32, seqLength: 64, chunks: 96),
        .synthetic("ref", vocab: 65, hidden: 256, layers: 1, batch: 64, seqLength: 64, chunks: 32),
        .synthetic("wide", vocab: 65, hidden: 512, layers: 1, batch: 64, seqLength: 64, chunks: 16),
        .synthetic("large", vocab: 96, hidden: 1024, layers: 1, batch: 64, seqLength: 64, chunks: 8),
        .synthetic("deep", vocab: 65, hidden: 256, layers: 3, batch: 64, seqLength: 64, chunks: 16),
    ]

    /// A truncated-BPTT configuration whose corpus holds exactly `chunks` chunks per stream.
    static func synthetic(
        _ name: String, vocab: Int, hidden: Int, layers: Int, batch: Int, seqLength: Int,
        chunks: Int
    ) -> BenchConfiguration {
        BenchConfiguration(
            name: name, vocab: vocab, hidden: hidden, layers: layers, batch: batch,
            seqLength: seqLength, corpusTokens: batch * (chunks * seqLength + 1),
            fullBatchSteps: nil, usesTutorialData: false, learningRate: 2e-3)
    }

    static var defaultNames: [String] { defaults.map(\.name) }

    static func named(_ name: String) -> BenchConfiguration? {
        defaults.first { $0.name == name }
    }

    /// This configuration with `cell`. A gated cell does `G` times the recurrent GEMM work
    /// per token, so a truncated-BPTT corpus keeps `1/G` of its chunks per stream (at least
    /// one) and an epoch takes about as long as the vanilla RNN's; full-batch configurations
    /// (`seed`) keep their steps.
    func forCell(_ cell: RecurrentCell) -> BenchConfiguration {
        var c = self
        c.cell = cell
        if fullBatchSteps == nil, cell.gateCount > 1 {
            let chunks = max(1, chunksPerStream / cell.gateCount)
            c.corpusTokens = batch * (chunks * seqLength + 1)
        }
        return c
    }
}

/// Command-line overrides of a configuration's dimensions.
struct ConfigurationOverrides: Sendable {
    var vocab: Int?
    var hidden: Int?
    var layers: Int?
    var batch: Int?
    var seqLength: Int?
    var tokens: Int?

    var isEmpty: Bool {
        vocab == nil && hidden == nil && layers == nil && batch == nil && seqLength == nil && tokens == nil
    }

    /// `config` with the overrides applied. A full-batch configuration keeps the tutorial's
    /// data unless its vocabulary, batch or sequence length changes (then it uses a synthetic
    /// batch of that shape); `tokens` does not apply to it.
    func applied(to config: BenchConfiguration) -> BenchConfiguration {
        var c = config
        if let v = vocab { c.vocab = v }
        if let h = hidden { c.hidden = h }
        if let l = layers { c.layers = l }
        if let b = batch { c.batch = b }
        if let t = seqLength { c.seqLength = t }
        if c.fullBatchSteps != nil {
            if c.vocab != config.vocab || c.batch != config.batch || c.seqLength != config.seqLength {
                c.usesTutorialData = false
            }
            c.corpusTokens = c.minimumCorpusTokens
        } else if let n = tokens {
            c.corpusTokens = n
        } else if c.batch != config.batch || c.seqLength != config.seqLength {
            // Keep the default's number of tokens per epoch, rounded to whole chunks.
            let perEpoch = config.tokensPerEpoch
            let chunks = max(1, perEpoch / (c.batch * c.seqLength))
            c.corpusTokens = c.batch * (chunks * c.seqLength + 1)
        }
        return c
    }
}
