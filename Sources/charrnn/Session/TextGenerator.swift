import Linalg
import RNN
import _ToolSupport

/// Generates text from a model one token at a time (`Sampler`), for one sample or a batch
/// of them side by side, optionally reporting each token's output as it is drawn and the
/// logits it was drawn from.
struct TextGenerator {
    let model: ManyToManyModel
    let vocabulary: TextVocabulary

    /// One sample drawn with `rng` (which moves on): `generate(prime:...rngs:)` of one.
    func generate(
        prime: [Int32], length: Int, temperature: Float, topK: Int?, rng: inout SeededRandom,
        onPrimed: () -> Void = {}, onLogits: (([Float], Int32) -> Void)? = nil,
        shouldStop: () -> Bool = { false }
    ) throws -> [UInt8] {
        var rngs = [rng]
        defer { rng = rngs[0] }
        return try generate(
            prime: prime, length: length, temperature: temperature, topK: topK, rngs: &rngs,
            onPrimed: onPrimed, onLogits: onLogits, shouldStop: shouldStop)[0]
    }

    /// `rngs.count` samples in one batch, sample `i` drawn with `rngs[i]` — so it is the
    /// single sample of that generator. Each is primed with `prime` (tokens); with none,
    /// with a line break when the vocabulary has one (a newline, byte 10 or `<eos>`; not
    /// part of the output), else with a random token (part of the output). Returns each
    /// sample's `length` generated tokens as bytes (UTF-8 text, or a byte model's raw
    /// bytes), as the continuation of the prime (which is not included; a random first
    /// token is, and counts towards `length`).
    ///
    /// `primeEndsInSpace`: the prime's text ended in whitespace, so the output starts as
    /// at the start of a line (a word model puts no second space before its first word).
    /// `onToken(i, token, previous)` receives sample `i`'s tokens as they are drawn, with
    /// the token before (nil at the start: for `TextVocabulary.appendBytes`);
    /// `shouldStop` is asked before every step (Ctrl-C), and generation then ends early.
    /// Without `keepOutputs` (a stream that `onToken` writes), nothing is kept and the
    /// returned outputs are empty.
    /// Throws when the model's logits are not finite (weights out of range): there is
    /// nothing to sample from. `onPrimed` runs once the prime has given finite logits,
    /// before the first token is drawn; `onLogits` sees sample 0's logits and token.
    func generate(
        prime: [Int32], primeEndsInSpace: Bool = false, length: Int, temperature: Float, topK: Int?,
        rngs: inout [SeededRandom], onPrimed: () -> Void = {}, onLogits: (([Float], Int32) -> Void)? = nil,
        onToken: ((Int, Int32, Int32?) -> Void)? = nil, keepOutputs: Bool = true,
        shouldStop: () -> Bool = { false }
    ) throws -> [[UInt8]] {
        let N = rngs.count
        let sampler = Sampler(model: model, batchSize: N)
        var outputs = [[Int32]](repeating: [], count: N)
        if keepOutputs { for i in 0..<N { outputs[i].reserveCapacity(length) } }
        // The token the output follows (nil: the start of a line, or after the prime's space).
        let start: Int32? = primeEndsInSpace ? nil : prime.last ?? vocabulary.lineBreak
        var previous = [Int32?](repeating: start, count: N)
        var generated = 0  // per sample
        func emit(_ i: Int, _ token: Int32) {
            if keepOutputs { outputs[i].append(token) }
            if i == 0 { generated += 1 }
            onToken?(i, token, previous[i])
            previous[i] = token
        }
        if !prime.isEmpty {
            sampler.prime(prime)
        } else if let lineBreak = vocabulary.lineBreak {
            sampler.feed(lineBreak)
        } else {
            var first = [Int32](repeating: 0, count: N)
            for i in 0..<N { first[i] = Int32(rngs[i].index(below: vocabulary.count)) }
            sampler.feed(first)
            for i in 0..<N { emit(i, first[i]) }
        }
        let name = vocabulary.unit.tokenName
        func checkFinite() throws {
            for i in 0..<N where !sampler.logits(of: i).allSatisfy(\.isFinite) {
                throw CLIError(
                    "the model's output is not finite after \(Format.plural(generated, "generated \(name)")): its weights are out of range (too large, or damaged); use another checkpoint or retrain"
                )
            }
        }
        try checkFinite()
        onPrimed()
        var tokens = [Int32](repeating: 0, count: N)
        for _ in generated..<max(length, generated) {
            if shouldStop() { break }
            try checkFinite()
            for i in 0..<N { tokens[i] = sampler.choose(sequence: i, temperature: temperature, topK: topK, using: &rngs[i]) }
            onLogits?(Array(sampler.logits(of: 0)), tokens[0])
            sampler.feed(tokens)
            for i in 0..<N { emit(i, tokens[i]) }
        }
        return outputs.map { vocabulary.decodeBytes($0, after: start) }
    }
}
