import Linalg
import RNN
import RNNTraining
import Testing

struct SamplerTests {
    static func trainedModel() throws -> TutorialExample.Run {
        var rng = SeededRandom(seed: 0)
        return try TutorialExample().train(using: &rng)
    }

    @Test func primingAtOnceEqualsSteppingOneTokenAtATime() throws {
        let run = try Self.trainedModel()
        let tokens = try! run.vocabulary.encode("good i")
        let a = Sampler(model: run.model), b = Sampler(model: run.model)
        a.prime(tokens)
        for t in tokens { b.feed(t) }
        #expect(zip(a.state, b.state).allSatisfy { abs($0 - $1) < 1e-6 })
        #expect(zip(a.lastLogits!, b.lastLogits!).allSatisfy { abs($0 - $1) < 1e-5 })
    }

    @Test func greedyIsArgmaxAndSamplingIsSeeded() {
        let logits: [Float] = [0.1, 2.0, -1.0, 1.9]
        var rng = SeededRandom(seed: 1)
        #expect(Sampler.choose(from: logits, temperature: 0, topK: nil, using: &rng) == 1)
        var r1 = SeededRandom(seed: 9), r2 = SeededRandom(seed: 9)
        let s1 = (0..<200).map { _ in Sampler.choose(from: logits, temperature: 1, topK: nil, using: &r1) }
        let s2 = (0..<200).map { _ in Sampler.choose(from: logits, temperature: 1, topK: nil, using: &r2) }
        #expect(s1 == s2)
        #expect(Set(s1) == [0, 1, 2, 3])
        let top2 = (0..<200).map { _ in Sampler.choose(from: logits, temperature: 1, topK: 2, using: &r1) }
        #expect(Set(top2) == [1, 3])
        // Frequencies follow softmax(logits / T): token 1 vs 3 is e^0.1 ≈ 1.105 at T = 1.
        let many = (0..<20000).map { _ in Sampler.choose(from: logits, temperature: 1, topK: 2, using: &r1) }
        let ratio = Double(many.filter { $0 == 1 }.count) / Double(many.filter { $0 == 3 }.count)
        #expect(abs(ratio - 1.105) < 0.06)
    }

    @Test func samplerContinuesTheTutorialSentence() throws {
        let run = try Self.trainedModel()
        let sampler = Sampler(model: run.model)
        sampler.prime(try! run.vocabulary.encode("good"))
        var rng = SeededRandom(seed: 3)
        let greedy = (0..<11).map { _ in sampler.next(temperature: 0, using: &rng) }
        #expect(run.vocabulary.decode(greedy) == " i am fine ")
    }

    @Test func vocabularyEncodesDecodesAndNamesUnknownCharacters() throws {
        let v = Vocabulary(text: "héllo wörld")
        #expect(v.characters.first == " ")
        #expect(v.decode(try v.encode("wörld")) == "wörld")
        #expect(throws: VocabularyError.unknownCharacter("z", offset: 2)) { try v.encode("hlz") }
        #expect("\(VocabularyError.unknownCharacter("z", offset: 2))".contains("'z'"))
        #expect(Vocabulary(characters: v.characters) == v)
        #expect(Vocabulary(text: v.joined) == v)
    }
}
