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
    /// character is, and counts towards `length`).
    func generate(prime: [Int32], length: Int, temperature: Float, topK: Int?, rng: inout SeededRandom,
                  onLogits: (([Float], Int32) -> Void)? = nil) -> String {
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
        for _ in output.count..<max(length, output.count) {
            let logits = sampler.lastLogits!
            let token = Sampler.choose(from: logits, temperature: temperature, topK: topK, using: &rng)
            onLogits?(logits, token)
            sampler.feed(token)
            output.append(token)
        }
        return vocabulary.decode(output)
    }
}
