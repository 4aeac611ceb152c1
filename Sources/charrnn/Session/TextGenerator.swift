import Linalg
import RNN

/// Generates text from a model one token at a time (`Sampler`), optionally reporting the
/// logits each token was drawn from.
struct TextGenerator {
    let model: ManyToManyModel
    let vocabulary: TextVocabulary

    /// Primes with `prime` (tokens); with none, with a line break when the vocabulary has
    /// one (a newline, byte 10 or `<eos>`; not part of the output), else with a random
    /// token (part of the output). Returns the output of `length` generated tokens as
    /// bytes (UTF-8 text, or a byte model's raw bytes), as the continuation of the prime
    /// (the prime is not included; a random first token is, and counts towards `length`).
    /// Throws when the model's logits are not finite (weights out of range): there is
    /// nothing to sample from. `onPrimed` runs once the prime has given finite logits,
    /// before the first token is drawn.
    func generate(prime: [Int32], length: Int, temperature: Float, topK: Int?, rng: inout SeededRandom,
                  onPrimed: () -> Void = {}, onLogits: (([Float], Int32) -> Void)? = nil) throws -> [UInt8] {
        let sampler = Sampler(model: model)
        var output: [Int32] = []
        var context = prime
        if !prime.isEmpty {
            sampler.prime(prime)
        } else if let lineBreak = vocabulary.lineBreak {
            sampler.prime([lineBreak])
            context = [lineBreak]
        } else {
            let first = Int32(rng.index(below: vocabulary.count))
            sampler.prime([first])
            output.append(first)
        }
        output.reserveCapacity(length)
        let name = vocabulary.unit.tokenName
        func checkFinite(_ logits: [Float]) throws {
            guard logits.allSatisfy(\.isFinite) else {
                throw CLIError("the model's output is not finite after \(Format.plural(output.count, "generated \(name)")): its weights are out of range (too large, or damaged); use another checkpoint or retrain")
            }
        }
        try checkFinite(sampler.lastLogits!)
        onPrimed()
        for _ in output.count..<max(length, output.count) {
            let logits = sampler.lastLogits!
            try checkFinite(logits)
            let token = Sampler.choose(from: logits, temperature: temperature, topK: topK, using: &rng)
            onLogits?(logits, token)
            sampler.feed(token)
            output.append(token)
        }
        return vocabulary.decodeBytes(output, after: context)
    }
}
