import Linalg

/// Generates tokens from a trained `ManyToManyModel` one step at a time, keeping the
/// hidden state so that each new token costs one step (the prefix is never recomputed).
///
/// ```swift
/// let sampler = Sampler(model: model)
/// sampler.prime(vocabulary.encode("good"))
/// var rng = SeededRandom(seed: 1)
/// let next = sampler.next(temperature: 0.8, topK: 5, using: &rng)
/// ```
public final class Sampler {
    public let model: ManyToManyModel
    /// The recurrent state (`model.rnn.stateSize(batchSize: 1)` values) after the tokens seen so far.
    public private(set) var state: [Float]
    /// Logits `[outputSize]` for the token after those seen so far (nil before any).
    public private(set) var lastLogits: [Float]?

    public init(model: ManyToManyModel) {
        self.model = model
        state = [Float](repeating: 0, count: model.rnn.stateSize(batchSize: 1))
    }

    /// Resets to the zero state.
    public func reset() {
        state = [Float](repeating: 0, count: state.count)
        lastLogits = nil
    }

    /// Feeds `tokens` (all at once: one forward over `T = tokens.count`).
    public func prime(_ tokens: [Int32]) {
        guard !tokens.isEmpty else { return }
        let logits = model.forward(.tokens(tokens), batchSize: 1, initialState: state)
        state = model.rnn.finalState()
        lastLogits = logits.row(tokens.count - 1)
    }

    /// Feeds one token.
    public func feed(_ token: Int32) { prime([token]) }

    /// Draws the next token from the current logits and feeds it.
    ///
    /// - Parameters:
    ///   - temperature: 0 takes the most likely token (greedy); otherwise samples from
    ///     `softmax(logits / temperature)`.
    ///   - topK: when given, only the `topK` most likely tokens can be drawn.
    /// - Precondition: something was primed or fed.
    public func next(temperature: Float = 1, topK: Int? = nil, using rng: inout SeededRandom) -> Int32 {
        guard let logits = lastLogits else { preconditionFailure("Sampler.next needs a primed state") }
        let token = Sampler.choose(from: logits, temperature: temperature, topK: topK, using: &rng)
        feed(token)
        return token
    }

    /// Chooses a token from `logits`: argmax at temperature 0, else a draw from the
    /// (top-k restricted) softmax at `temperature`.
    public static func choose(from logits: [Float], temperature: Float, topK: Int?, using rng: inout SeededRandom) -> Int32 {
        precondition(temperature >= 0 && temperature.isFinite, "temperature must be finite and >= 0, got \(temperature)")
        if temperature == 0 {
            var best = 0
            for i in logits.indices where logits[i] > logits[best] { best = i }
            return Int32(best)
        }
        var candidates = Array(logits.indices)
        if let k = topK, k > 0, k < logits.count {
            candidates.sort { logits[$0] > logits[$1] || (logits[$0] == logits[$1] && $0 < $1) }
            candidates = Array(candidates.prefix(k))
        }
        let probs = SoftmaxCrossEntropy.probabilities(candidates.map { logits[$0] }, temperature: temperature)
        let u = Double(rng.unit())
        var acc = 0.0
        for (i, p) in probs.enumerated() {
            acc += p
            if u < acc { return Int32(candidates[i]) }
        }
        return Int32(candidates.last!)
    }
}
