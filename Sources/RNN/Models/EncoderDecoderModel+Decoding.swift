import Linalg

extension EncoderDecoderModel {
    /// Translates a batch of sources by beam search (`search`): all `k` hypotheses of all
    /// sources advance as one batch of `B·k` rows through each decoder step, on the stack's
    /// prepared weights. Returns per source its `search.nBest` translations, best first.
    ///
    /// - Parameters:
    ///   - sources: `B` token sequences of the source vocabulary, none empty.
    ///   - search: the beam's width, length penalty, maximum length and n-best count.
    ///   - recordAttention: fill each `Translation.attention` (an attention model only).
    /// - Complexity: the encoder over the batch, then per step the decoder, attention and
    ///   output layer over `B·k` rows and a selection over `B·k·V` candidates; at most
    ///   `search.maxLength` steps of the longest source.
    public func decode(_ sources: [[Int32]], _ search: BeamSearch = BeamSearch(), recordAttention: Bool = false) -> [[Translation]] {
        precondition(search.problem == nil, search.problem ?? "")
        precondition(!sources.isEmpty && sources.allSatisfy { !$0.isEmpty }, "decode needs one or more non-empty sources")
        let steps = DecoderSteps(self, sources: sources, rowsPerSource: search.width)
        let run = BeamSearchRun(
            search: search, sources: sources.count, vocabularySize: fc.outputSize, start: startToken, end: endToken,
            maxLengths: sources.map { search.maxLength(sourceLength: $0.count) }, recordAttention: recordAttention && attention != nil)
        return run.run(steps)
    }

    /// Greedy decoding of a batch of sources: per step each sequence's most likely token,
    /// up to `maxLength` tokens or the end token (not included).
    /// - Complexity: `maxLength` single-step forwards of the decoder (and attention) over `B` rows.
    public func translateGreedily(_ sources: [[Int32]], maxLength: Int) -> [[Int32]] {
        precondition(!sources.isEmpty && sources.allSatisfy { !$0.isEmpty }, "translation needs one or more non-empty sources")
        let steps = DecoderSteps(self, sources: sources, rowsPerSource: 1)
        let B = sources.count, V = fc.outputSize
        var tokens = [Int32](repeating: startToken, count: B)
        var out = [[Int32]](repeating: [], count: B)
        var done = [Bool](repeating: false, count: B)
        for _ in 0..<maxLength where !done.allSatisfy({ $0 }) {
            let logits = steps.advance(tokens)
            for b in 0..<B where !done[b] {
                let row = logits + b * V
                var best = 0
                for v in 1..<V where row[v] > row[best] { best = v }
                tokens[b] = Int32(best)
                if tokens[b] == endToken { done[b] = true } else { out[b].append(tokens[b]) }
            }
        }
        return out
    }

    /// Greedy decoding of one source sequence, up to `maxLength` tokens or the end token.
    public func translate(_ source: [Int32], maxLength: Int) -> [Int32] {
        precondition(!source.isEmpty, "source must not be empty")
        return translateGreedily([source], maxLength: maxLength)[0]
    }

    /// Under teacher forcing (each step reads the true previous token): the mean loss of
    /// `batch` (as `loss`) and the most likely token of each target step `[Tt*B]`,
    /// time-major — where it equals the target, the model got that token right (token
    /// accuracy).
    /// - Complexity: one `loss(batch)` and an argmax over `Tt·B·V` logits.
    public func teacherForced(_ batch: Batch) -> (loss: Double, predictions: [Int32]) {
        let loss = loss(batch)
        return (loss, feedingHead?.predictions() ?? head.predictions())
    }

    /// The attention weights of the teacher-forced decoding of `batch` (`computeGradients`
    /// and `loss` compute them): per sequence, per target step, the weights over its source
    /// tokens. Nil without attention.
    /// - Complexity: one `loss(batch)`.
    public func attentionWeights(_ batch: Batch) -> [[[Float]]]? {
        guard let attention else { return nil }
        _ = loss(batch)
        let (B, Tt, Ts) = (batch.batchSize, batch.targets.count / batch.batchSize, attention.memorySteps)
        /// Per sequence `b` and step `t`, its weights: rows `row(b, t)` of `w` (`[·, Ts]`).
        func perSequence(_ w: UnsafeBufferPointer<Float>, row: (Int, Int) -> Int) -> [[[Float]]] {
            (0..<B).map { b in (0..<Tt).map { t in Array(w[(row(b, t) * Ts)..<(row(b, t) * Ts + batch.sourceLengths[b])]) } }
        }
        if let feedingHead { return feedingHead.withWeights { perSequence($0) { b, t in t * B + b } } }  // [T, B, Ts]
        return attention.withWeights { perSequence($0) { b, t in b * Tt + t } }  // [B, T, Ts]
    }
}

/// The decoder of an encoder-decoder over `N = B·k` rows, `k` per source: the encoder's
/// (bridged) final state, the attention's memory of the `B` sources, and buffers reused by
/// every step (nothing allocated per step after the first). The first step runs the `B`
/// rows that are live (a source's `k` hypotheses are still one) and writes their state and
/// logits into each source's first row; later steps run `k` rows for each source still
/// searched (`reorder(_:keeping:)` drops the others).
final class DecoderSteps: BeamDecoder {
    private let model: EncoderDecoderModel
    private let sources: Int
    private let rowsPerSource: Int
    private let lengths: [Int]
    /// The sources whose rows the decoder runs, in row order (all `B` until a reorder drops some).
    private var live: [Int]
    /// `live.count·k`: the rows of the next `advance` after the first.
    private var rows: Int
    /// Recurrent state blocks (`parts·L`).
    private let blocks: Int
    /// `[blocks, B, H]` before the first step, then `[blocks, rows, H]` (in a buffer of `N` rows).
    private var state: [Float]
    private var reordered: [Float]
    /// With input feeding: each row's last attentional state `[rows, H]` (zeros at first).
    private var feed: [Float] = []
    private var reorderedFeed: [Float] = []
    private let logits: FloatBuffer
    /// `advance` calls so far.
    private var advancedSteps = 0

    var vocabularySize: Int { model.fc.outputSize }

    init(_ model: EncoderDecoderModel, sources: [[Int32]], rowsPerSource k: Int) {
        self.model = model
        let B = sources.count, Ts = sources.map(\.count).max()!
        let lengths = sources.map(\.count)
        self.sources = B
        rows = B * k
        rowsPerSource = k
        live = Array(0..<B)
        self.lengths = lengths
        var padded = [Int32](repeating: -1, count: Ts * B)
        for (b, source) in sources.enumerated() {
            for (t, token) in source.enumerated() { padded[t * B + b] = token }
        }
        let encoder = model.encoder
        encoder.forward(.tokens(padded), batchSize: B, lengths: lengths)
        var initial = encoder.finalState(lengths: lengths)
        if let bridge = model.bridge {
            let encoded = initial
            bridge.forward(encoded, batchSize: B, into: &initial)
        }
        if let attention = model.attention {
            encoder.withOutputs { e in attention.attend(memory: e.baseAddress!, steps: Ts, batchSize: B, lengths: lengths) }
        }
        state = initial
        blocks = initial.count / (B * model.decoder.hiddenSize)
        reordered = []
        if model.feedingHead != nil { feed = [Float](repeating: 0, count: B * model.decoder.hiddenSize) }
        logits = FloatBuffer(count: rows * model.fc.outputSize)
    }

    func advance(_ tokens: [Int32]) -> UnsafeMutablePointer<Float> {
        let first = advancedSteps == 0, k = rowsPerSource
        let n = first ? sources : rows
        let input = first && k > 1 ? stride(from: 0, to: rows, by: k).map { tokens[$0] } : tokens
        let decoder = model.decoder, V = model.fc.outputSize, H = decoder.hiddenSize
        let feeding = model.feedingHead != nil
        state.withUnsafeMutableBufferPointer { s in
            if feeding {
                // [one-hot(token); h̃ of the row's previous step]
                decoder.forward(denseRows: n, batchSize: n, initialState: UnsafePointer(s.baseAddress!), dropout: nil) { x in
                    input.withUnsafeBufferPointer { tokens in
                        feed.withUnsafeBufferPointer { f in
                            InputFeedingDecoder.writeInput(
                                into: x, tokens: tokens.baseAddress!, feeds: f.baseAddress!, rows: n, vocabularySize: V, width: H)
                        }
                    }
                }
            } else {
                decoder.forward(.tokens(input), batchSize: n, state: UnsafePointer(s.baseAddress!), dropout: nil)
            }
            decoder.writeFinalState(into: s.baseAddress!)
        }
        decoder.withOutputs { h in
            let x =
                model.attention?.step(queries: h.baseAddress!, rows: n, rowsPerSource: first ? 1 : k, sources: live)
                ?? UnsafeMutablePointer(mutating: h.baseAddress!)
            model.fc.forward(x, rows: n, into: logits.pointer)
            if feeding { feed.withUnsafeMutableBufferPointer { $0.baseAddress!.update(from: x, count: n * H) } }
        }
        advancedSteps += 1
        if first && k > 1 {
            // Source b's row moves to row b·k; the others are dead until the first reorder.
            for b in stride(from: sources - 1, through: 0, by: -1) {
                (logits.pointer + b * k * V).update(from: logits.pointer + b * V, count: V)
            }
            var full = [Float](repeating: 0, count: blocks * rows * H)
            for block in 0..<blocks {
                for b in 0..<sources {
                    let from = (block * sources + b) * H, to = (block * rows + b * k) * H
                    for j in 0..<H { full[to + j] = state[from + j] }
                }
            }
            state = full
            if feeding {
                var rows = [Float](repeating: 0, count: self.rows * H)
                for b in 0..<sources { for j in 0..<H { rows[b * k * H + j] = feed[b * H + j] } }
                feed = rows
            }
        }
        if reordered.count != state.count { reordered = state }
        if reorderedFeed.count != feed.count { reorderedFeed = feed }
        return logits.pointer
    }

    func reorder(_ parents: [Int], keeping sources: [Int]) {
        let H = model.decoder.hiddenSize, old = rows, new = parents.count
        precondition(new == sources.count * rowsPerSource && new <= old, "\(new) rows for \(sources.count) sources")
        state.withUnsafeBufferPointer { s in
            reordered.withUnsafeMutableBufferPointer { o in
                for block in 0..<blocks {
                    for (r, parent) in parents.enumerated() {
                        (o.baseAddress! + (block * new + r) * H).update(from: s.baseAddress! + (block * old + parent) * H, count: H)
                    }
                }
            }
        }
        swap(&state, &reordered)
        live.removeAll(keepingCapacity: true)
        live += sources  // a copy: the caller's array stays its own
        rows = new
        guard !feed.isEmpty else { return }
        feed.withUnsafeBufferPointer { f in
            reorderedFeed.withUnsafeMutableBufferPointer { o in
                for (r, parent) in parents.enumerated() { (o.baseAddress! + r * H).update(from: f.baseAddress! + parent * H, count: H) }
            }
        }
        swap(&feed, &reorderedFeed)
    }

    func attentionWeights(row r: Int) -> UnsafeBufferPointer<Float>? {
        guard let attention = model.attention else { return nil }
        let row = advancedSteps == 1 ? r / rowsPerSource : r  // the first step ran a row per source
        return attention.withWeights { w in
            UnsafeBufferPointer(
                rebasing: w[(row * attention.memorySteps)..<(row * attention.memorySteps + lengths[live[r / rowsPerSource]])])
        }
    }
}

extension EncoderDecoderModel {
    /// The attention decoder's teacher-forced computation from a given state and memory, for
    /// checking an exported decoder graph: `tokens` `[T*B]` from `initialState` (the
    /// decoder's), attending to `memory` `[Ts*B, M]` of `memoryLengths`. Returns the logits
    /// `[T*B, V]`, the final state and the weights `[T, B, Ts]` (zero past each length).
    /// - Precondition: the model has attention without input feeding.
    package func attendedDecoding(
        tokens: [Int32], batchSize B: Int, initialState: [Float], memory: [Float], memoryLengths: [Int]
    ) -> (logits: [Float], finalState: [Float], weights: [Float]) {
        guard let attention, feedingHead == nil else { preconditionFailure("the model has no attention, or feeds its input") }
        let Ts = memory.count / (B * attention.memoryWidth), T = tokens.count / B, V = fc.outputSize
        decoder.forward(.tokens(tokens), batchSize: B, initialState: initialState)
        memory.withUnsafeBufferPointer { attention.attend(memory: $0.baseAddress!, steps: Ts, batchSize: B, lengths: memoryLengths) }
        var logits = [Float](repeating: 0, count: T * B * V)
        decoder.withOutputs { h in
            let x = attention.forward(queries: h.baseAddress!, steps: T)
            logits.withUnsafeMutableBufferPointer { fc.forward(x, rows: T * B, into: $0.baseAddress!) }
        }
        var weights = [Float](repeating: 0, count: T * B * Ts)
        attention.withWeights { w in
            for t in 0..<T {
                for b in 0..<B {
                    for s in 0..<Ts { weights[(t * B + b) * Ts + s] = w[(b * T + t) * Ts + s] }
                }
            }
        }
        return (logits, decoder.finalState(), weights)
    }
}
