import Linalg
import RNN

/// Generates text from a model one character at a time (`Sampler`), optionally
/// reporting the logits each character was drawn from.
struct TextGenerator {
    let model: ManyToManyModel
    let vocabulary: Vocabulary

    /// Primes with `prime` (tokens); with none, with a newline when the vocabulary has
    /// one (not part of the output), else with a random character (part of the output).
    /// Returns `length` generated characters (the prime is not included; a random first
    /// character is, and counts towards `length`). Throws when the model's logits are not
    /// finite (weights out of range): there is nothing to sample from. `onPrimed` runs once
    /// the prime has given finite logits, before the first character is drawn.
    func generate(prime: [Int32], length: Int, temperature: Float, topK: Int?, rng: inout SeededRandom,
                  onPrimed: () -> Void = {}, onLogits: (([Float], Int32) -> Void)? = nil) throws -> String {
        let sampler = Sampler(model: model)
        var output: [Int32] = []
        if !prime.isEmpty {
            sampler.prime(prime)
        } else if let newline = vocabulary.token(for: "\n") {
            sampler.prime([newline])
        } else {
            let first = Int32(rng.index(below: vocabulary.count))
            sampler.prime([first])
            output.append(first)
        }
        output.reserveCapacity(length)
        func checkFinite(_ logits: [Float]) throws {
            guard logits.allSatisfy(\.isFinite) else {
                throw CLIError("the model's output is not finite after \(Format.plural(output.count, "generated character")): its weights are out of range (too large, or damaged); use another checkpoint or retrain")
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
        return vocabulary.decode(output)
    }
}
