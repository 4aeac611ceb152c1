import Linalg
import RNN
import RNNTraining
import Testing

struct TutorialExampleTests {
    @Test func dataMatchesTheTutorial() {
        let example = TutorialExample()
        #expect(example.vocabulary.count == 17)
        #expect(example.padded == ["hey how are you", "good i am fine ", "have a nice day"])
        let batch = example.batch
        #expect(batch.batchSize == 3 && batch.steps == 14)
        let v = example.vocabulary
        // Row t*B + b: input char t and target char t+1 of sentence b.
        #expect(v.decode([batch.inputs[0], batch.inputs[1], batch.inputs[2]]) == "hgh")
        #expect(v.decode((0..<14).map { batch.targets[$0 * 3 + 1] }) == "ood i am fine ")
    }

    /// The tutorial's claim, for several seeds: loss < 0.3 after 100 epochs and the
    /// greedy completions reproduce the three sentences.
    @Test(arguments: [0, 1, 2, 3, 42] as [UInt64])
    func learnsTheThreeSentences(seed: UInt64) throws {
        var rng = SeededRandom(seed: seed)
        let run = try TutorialExample().train(using: &rng)
        #expect(run.losses.count == 100)
        #expect(run.losses.last! < 0.3, "seed \(seed): final loss \(run.losses.last!)")
        #expect(run.losses.first! > 2.5)  // ~ln(17) = 2.83 at the start
        #expect(try run.complete("good") == "good i am fine ")
        #expect(try run.complete("hey") == "hey how are you")
        #expect(try run.complete("have") == "have a nice day")
    }
}
