// Many-to-many: a character model on a text, trained with truncated BPTT (the text as
// parallel streams walked in chunks, the state carried between chunks), then sampled.
//
//   swift run -c release example-character-model
import Linalg
import RNN
import RNNTraining

let text = String(repeating: "the quick brown fox jumps over the lazy dog. ", count: 40)
let vocabulary = Vocabulary(text: text)
let tokens = TokenSequence(try vocabulary.encode(text))
let streams = TokenStreams(tokens: tokens, batchSize: 8, seqLength: 32, partialChunks: false)!

var rng = SeededRandom(seed: 4)
let model = ManyToManyModel(.init(inputSize: vocabulary.count, outputSize: vocabulary.count,
                                  recurrent: .init(cell: .lstm, hiddenSize: 64)), using: &rng)
let trainer = Trainer(model: model, optimizer: Adam(learningRate: 0.01), clipNorm: 5)
try trainer.train(on: streams, for: .epochs(30)) { event in
    if case .epochEnd(let epoch) = event, (epoch + 1) % 10 == 0 {
        print("epoch \(epoch + 1): loss \(model.meanLoss(over: streams).loss)")
    }
}
let sampler = Sampler(model: model)
sampler.prime(try vocabulary.encode("the "))
print("the " + vocabulary.decode((0..<40).map { _ in sampler.next(temperature: 0, using: &rng) }))
