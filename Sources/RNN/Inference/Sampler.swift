import Foundation
import Linalg

/// Generates tokens from a trained `ManyToManyModel` one step at a time, for one sequence
/// or `batchSize` of them side by side, keeping the recurrent state so that each new
/// token costs one step (the prefix is never recomputed).
///
/// ```swift
/// let sampler = Sampler(model: model)
/// sampler.prime(vocabulary.encode("good"))
/// var rng = SeededRandom(seed: 1)
/// let next = sampler.next(temperature: 0.8, topK: 5, using: &rng)
///
/// // 32 samples at once: sample i draws from its own generator. The prime is exactly the
/// // single sampler's; each later step's products run on 32 rows and round differently
/// // from one row's, so sample i follows the single sample of its generator until a draw
/// // lands within rounding of a boundary (a near-tie), and may part from it after.
/// let batch = Sampler(model: model, batchSize: 32)
/// batch.prime(prefix)
/// var rngs = (0..<32).map { SeededRandom(seed: UInt64($0)) }
/// var tokens = [Int32](repeating: 0, count: 32)
/// batch.next(temperature: 0.8, using: &rngs, into: &tokens)
/// ```
///
/// Each step runs the model's inference pass: the weights it prepares (the token
/// projection table, each layer's `W_hhᵀ`) are reused until the parameters change, the
/// state stays in the sampler's own buffer, and the logits land in another, so a step
/// **allocates nothing** once the sampler exists (prime allocates its time-major tokens;
/// on a team, each of a step's runs boxes its closure: `WorkerTeam.run`).
///
/// To use several cores, run the sampler inside `model.withThreads(2) { ... }` (a team on
/// the model, the GEMMs single-threaded around it): one sequence's steps then
/// split by hidden units (each thread reads its share of the weights
/// from its own cache; each generated token's step is the single thread's, bit for bit,
/// while a prime of several tokens may round differently in its GEMMs), as do a batch's
/// (by sequences from 32 per thread).
/// - Complexity: per step one `[B, H] x [H, G·H]` product per layer (plus the input
///   product of the upper layers) and `[B, H] x [H, V]` for the logits.
public final class Sampler {
    public let model: ManyToManyModel
    /// The number of sequences generated side by side.
    public let batchSize: Int
    /// `[parts, L, B, H]`: the state after the tokens seen so far.
    private let stateValues: UnsafeMutablePointer<Float>
    private let stateCount: Int
    /// `[B, V]`: the logits of each sequence's next token, once something was seen.
    private let logitValues: UnsafeMutablePointer<Float>
    private var hasLogits = false
    /// One step's tokens `[B]`, and the sampling scratch (reused).
    private var stepTokens: [Int32]
    private var candidates: [Int] = []
    private var probabilities: [Double] = []

    public init(model: ManyToManyModel, batchSize: Int = 1) {
        precondition(batchSize >= 1, "a sampler needs at least one sequence, got \(batchSize)")
        precondition(
            !model.rnn.isBidirectional,
            "a sampler generates one token after another, so it needs a one-directional model (this one is bidirectional: a tagger)")
        self.model = model
        self.batchSize = batchSize
        stateCount = model.rnn.stateSize(batchSize: batchSize)
        stateValues = .allocate(capacity: stateCount)
        stateValues.initialize(repeating: 0, count: stateCount)
        logitValues = .allocate(capacity: batchSize * model.outputSize)
        logitValues.initialize(repeating: 0, count: batchSize * model.outputSize)
        stepTokens = [Int32](repeating: 0, count: batchSize)
        candidates.reserveCapacity(model.outputSize)
        probabilities.reserveCapacity(model.outputSize)
    }

    deinit {
        stateValues.deallocate()
        logitValues.deallocate()
    }

    /// The recurrent state (`model.rnn.stateSize(batchSize: B)` values) after the tokens seen so far (a copy).
    public var state: [Float] { Array(UnsafeBufferPointer(start: stateValues, count: stateCount)) }

    /// Logits `[outputSize]` of sequence 0's next token (nil before any token; a copy).
    public var lastLogits: [Float]? { hasLogits ? Array(logits(of: 0)) : nil }

    /// Sequence `b`'s logits for its next token, in the sampler's buffer (valid until the
    /// next step). - Precondition: something was primed or fed.
    public func logits(of b: Int) -> UnsafeBufferPointer<Float> {
        precondition(hasLogits, "the sampler has seen no token yet")
        precondition(b >= 0 && b < batchSize, "sequence \(b) is outside 0..<\(batchSize)")
        let V = model.outputSize
        return UnsafeBufferPointer(start: logitValues + b * V, count: V)
    }

    /// Continues from `values` (`model.rnn.stateSize(batchSize: B)` of them, e.g. a
    /// training chunk's final state); the logits come with the next token.
    public func setState(_ values: [Float]) {
        precondition(values.count == stateCount, "\(values.count) state values, the sampler has \(stateCount)")
        values.withUnsafeBufferPointer { stateValues.update(from: $0.baseAddress!, count: stateCount) }
        hasLogits = false
    }

    /// Resets to the zero state.
    public func reset() {
        stateValues.update(repeating: 0, count: stateCount)
        hasLogits = false
    }

    /// Feeds `tokens` to every sequence (all at once: one forward over `T = tokens.count`).
    /// Sequences that share their state (a new sampler, or after `reset`) are primed once,
    /// as one sequence, and the result copied to all of them: the same state and logits,
    /// bit for bit, as a sampler of one sequence primed alike, at `1/B` of the work.
    public func prime(_ tokens: [Int32]) {
        guard !tokens.isEmpty else { return }
        if batchSize == 1 { return run(tokens) }
        guard sequencesShareTheirState else { return run(tokens.flatMap { repeatElement($0, count: batchSize) }) }
        let B = batchSize, H = model.rnn.hiddenSize, V = model.outputSize, blocks = stateCount / (B * H)
        var single = [Float](repeating: 0, count: blocks * H)
        single.withUnsafeMutableBufferPointer { s in
            for k in 0..<blocks { (s.baseAddress! + k * H).update(from: stateValues + k * B * H, count: H) }
            let logits = model.infer(tokens, batchSize: 1, state: s.baseAddress!)
            for b in 0..<B {
                (logitValues + b * V).update(from: logits, count: V)
                for k in 0..<blocks { (stateValues + (k * B + b) * H).update(from: s.baseAddress! + k * H, count: H) }
            }
        }
        hasLogits = true
    }

    /// Whether every sequence's state equals sequence 0's (in every `[B, H]` block).
    private var sequencesShareTheirState: Bool {
        let B = batchSize, H = model.rnn.hiddenSize
        for k in 0..<(stateCount / (B * H)) {
            let first = stateValues + k * B * H
            for b in 1..<B where !(0..<H).allSatisfy({ first[b * H + $0] == first[$0] }) { return false }
        }
        return true
    }

    /// Feeds one token (to every sequence).
    public func feed(_ token: Int32) {
        for b in 0..<batchSize { stepTokens[b] = token }
        run(stepTokens)
    }

    /// Feeds each sequence its own token (`tokens[b]` to sequence `b`). No allocation.
    public func feed(_ tokens: [Int32]) {
        precondition(tokens.count == batchSize, "\(tokens.count) tokens for \(batchSize) sequences")
        run(tokens)
    }

    /// One inference pass over time-major `tokens` `[T*B]` from the sampler's state, which
    /// then holds the state after it; keeps the last step's logits.
    private func run(_ tokens: [Int32]) {
        let logits = model.infer(tokens, batchSize: batchSize, state: stateValues)
        logitValues.update(from: logits, count: batchSize * model.outputSize)
        hasLogits = true
    }

    /// Draws sequence 0's next token from the current logits and feeds it.
    ///
    /// - Parameters:
    ///   - temperature: 0 takes the most likely token (greedy); otherwise samples from
    ///     `softmax(logits / temperature)`.
    ///   - topK: when given, only the `topK` most likely tokens can be drawn.
    ///   - rng: the generator the draw takes its random number from (none when greedy).
    /// - Precondition: something was primed or fed; a sampler of one sequence.
    public func next(temperature: Float = 1, topK: Int? = nil, using rng: inout SeededRandom) -> Int32 {
        precondition(batchSize == 1, "next(temperature:topK:using:) draws one sequence; this sampler has \(batchSize)")
        let token = choose(sequence: 0, temperature: temperature, topK: topK, using: &rng)
        feed(token)
        return token
    }

    /// Draws every sequence's next token, sequence `b` from `rngs[b]`, into `tokens`
    /// (`B` of them), and feeds them. No allocation.
    public func next(temperature: Float = 1, topK: Int? = nil, using rngs: inout [SeededRandom], into tokens: inout [Int32]) {
        precondition(
            rngs.count == batchSize && tokens.count == batchSize,
            "\(rngs.count) generators and \(tokens.count) tokens for \(batchSize) sequences")
        for b in 0..<batchSize { tokens[b] = choose(sequence: b, temperature: temperature, topK: topK, using: &rngs[b]) }
        feed(tokens)
    }

    /// A draw from sequence `b`'s logits (see `Sampler.choose`), with the sampler's scratch.
    public func choose(sequence b: Int, temperature: Float, topK: Int?, using rng: inout SeededRandom) -> Int32 {
        Self.choose(
            from: logits(of: b), temperature: temperature, topK: topK, candidates: &candidates,
            probabilities: &probabilities, using: &rng)
    }

    /// Chooses a token from `logits`: argmax at temperature 0, else a draw from the
    /// (top-k restricted) softmax at `temperature`.
    public static func choose(from logits: [Float], temperature: Float, topK: Int?, using rng: inout SeededRandom) -> Int32 {
        var candidates: [Int] = [], probabilities: [Double] = []
        return logits.withUnsafeBufferPointer {
            choose(from: $0, temperature: temperature, topK: topK, candidates: &candidates, probabilities: &probabilities, using: &rng)
        }
    }

    /// `choose(from:temperature:topK:using:)` with caller-owned scratch (no allocation once
    /// it has the vocabulary's capacity). The softmax is `SoftmaxCrossEntropy.probabilities`'
    /// arithmetic, in the same order, so the draws are the same.
    static func choose(
        from logits: UnsafeBufferPointer<Float>, temperature: Float, topK: Int?,
        candidates: inout [Int], probabilities: inout [Double], using rng: inout SeededRandom
    ) -> Int32 {
        precondition(temperature >= 0 && temperature.isFinite, "temperature must be finite and >= 0, got \(temperature)")
        if temperature == 0 {
            var best = 0
            for i in logits.indices where logits[i] > logits[best] { best = i }
            return Int32(best)
        }
        candidates.removeAll(keepingCapacity: true)
        candidates.append(contentsOf: logits.indices)
        if let k = topK, k > 0, k < logits.count {
            candidates.sort { logits[$0] > logits[$1] || (logits[$0] == logits[$1] && $0 < $1) }
            candidates.removeLast(candidates.count - k)
        }
        // softmax(l / T): scaled, minus the max, exponentiated, normalized.
        probabilities.removeAll(keepingCapacity: true)
        var m = -Double.infinity
        for c in candidates {
            let scaled = Double(logits[c]) / Double(temperature)
            probabilities.append(scaled)
            m = max(m, scaled)
        }
        var s = 0.0
        for i in probabilities.indices {
            probabilities[i] = Foundation.exp(probabilities[i] - m)
            s += probabilities[i]
        }
        let u = Double(rng.unit())
        var acc = 0.0
        for (i, e) in probabilities.enumerated() {
            acc += e / s
            if u < acc { return Int32(candidates[i]) }
        }
        return Int32(candidates.last!)
    }
}
