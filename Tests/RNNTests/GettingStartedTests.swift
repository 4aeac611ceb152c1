import Linalg
import RNN
import Testing

/// The code of `RNN.docc/GettingStarted.md`, run as written: it compiles against the
/// current API, trains, and completes its prefix.
struct GettingStartedTests {
    @Test func theArticleTrainsAndCompletes() throws {
        let lines = ["hey how are you", "good i am fine ", "have a nice day"]  // padded to 15
        let vocabulary = Vocabulary(text: lines.joined())
        var rng = SeededRandom(seed: 0)
        let model = ManyToManyModel(
            inputSize: vocabulary.count, hiddenSize: 32,
            outputSize: vocabulary.count, cell: .lstm, using: &rng)
        let optimizer = Adam(learningRate: 0.01)

        let encoded = try lines.map { try vocabulary.encode($0) }
        let B = lines.count, T = 14  // read characters 0..<14, predict 1...14
        var inputs: [Int32] = [], targets: [Int32] = []
        for t in 0..<T {
            for b in 0..<B {  // time-major: step t of sequence b at t*B + b
                inputs.append(encoded[b][t])
                targets.append(encoded[b][t + 1])
            }
        }
        var first = 0.0, last = 0.0
        for step in 0..<200 {
            let loss = model.computeGradients(.tokens(inputs), targets: targets, batchSize: B)
            GradientClipping.clipGlobalNorm(model.parameters, maxNorm: 5)
            optimizer.step(model.parameters)
            if step == 0 { first = loss }
            last = loss
        }

        let sampler = Sampler(model: model)
        sampler.prime(try vocabulary.encode("good"))
        var out: [Int32] = []
        for _ in 0..<10 {
            let next = Sampler.choose(from: sampler.lastLogits!, temperature: 0, topK: nil, using: &rng)
            sampler.feed(next)
            out.append(next)
        }
        #expect(last < first / 10, "loss \(first) -> \(last)")
        #expect("good" + vocabulary.decode(out) == "good i am fine", "\(vocabulary.decode(out))")
    }
}
