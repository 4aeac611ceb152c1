// Many-to-many: a character model, the first program to write with swift-rnn. It reads a
// text (a file, or a built-in one), holds out its tail for validation, trains with
// truncated BPTT (the text as parallel streams walked in chunks, the state carried between
// chunks) printing the loss as it goes, saves a checkpoint, loads it back and samples
// from the loaded model.
//
//   swift run -c release example-character-model [checkpoint-path [text.txt]]
import Foundation
import Linalg
import RNN
import RNNTraining

let arguments = CommandLine.arguments.dropFirst()
let path = arguments.first ?? FileManager.default.temporaryDirectory.path + "/character-model.safetensors"
let builtIn = String(repeating: "the quick brown fox jumps over the lazy dog. ", count: 40)
let corpus = try arguments.dropFirst().first.map { try TextCorpus.read(path: $0) } ?? TextCorpus(text: builtIn)
let (training, validation) = corpus.split(validationFraction: 0.1)
let streams = try TokenStreams.cutting(training, batchSize: 8, seqLength: 32, partialChunks: false)
let held = try TokenStreams.cutting(validation, batchSize: 1, seqLength: 32, partialChunks: true)

var rng = SeededRandom(seed: 4)
let V = corpus.vocabulary.count
let model = ManyToManyModel(.init(inputSize: V, outputSize: V, recurrent: .init(cell: .lstm, hiddenSize: 64)), using: &rng)
let trainer = Trainer(model: model, optimizer: Adam(learningRate: 0.01), clipNorm: 5)
try trainer.train(on: streams, for: .epochs(30)) { event in
    switch event {
    case .step(let step) where trainer.position.step % 50 == 0:
        print("step \(trainer.position.step): loss \(step.loss)")
    case .epochEnd(let epoch) where (epoch + 1) % 10 == 0:
        print("epoch \(epoch + 1): validation loss \(model.meanLoss(over: held).loss)")
    default:
        break
    }
}

// A Checkpoint keeps the vocabulary with the weights, the optimizer and the position.
try Checkpoint(
    model: model, vocabulary: corpus.vocabulary, optimizer: OptimizerState(capturing: trainer.optimizer),
    training: trainer.trainingState(rngState: rng.state)
).write(path: path)
let loaded = try Checkpoint.read(path: path)

let sampler = Sampler(model: loaded.model)
let start = Array(training.prefix(4))  // the text's first four characters
sampler.prime(start)
print(loaded.vocabulary.decode(start + (0..<40).map { _ in sampler.next(temperature: 0, using: &rng) }))
