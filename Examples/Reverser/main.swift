// Encoder-decoder with attention: reverse strings of 1...8 letters over "abcd"; the
// encoder reads the string, the decoder attends to it and writes it backwards, stopping at
// the end token; held-out strings are translated by beam search, all in one batch.
//
//   swift run -c release example-reverser
import Linalg
import RNN
import RNNTraining

var rng = SeededRandom(seed: 3)
let letters = Array("abcd"), (batchSize, maxLength) = (32, 8)
let (start, end) = (Int32(letters.count), Int32(letters.count + 1))

@MainActor func randomString() -> [Int] { (0..<(1 + rng.index(below: maxLength))).map { _ in rng.index(below: letters.count) } }

/// Strings and their reversals ending in the end token, padded by the batch builder.
@MainActor func makeBatch() throws -> EncoderDecoderModel.Batch {
    let strings = (0..<batchSize).map { _ in randomString() }
    return try EncoderDecoderModel.Batch(sources: strings, targets: strings.map { $0.reversed() + [Int(end)] })
}

let model = EncoderDecoderModel(
    .init(
        sourceVocabularySize: letters.count, targetVocabularySize: letters.count + 2,
        startToken: start, endToken: end, recurrent: .init(cell: .gru, hiddenSize: 64), attention: .general), using: &rng)
let trainer = Trainer(model: model, optimizer: Adam(learningRate: 0.005), workers: 2, clipNorm: 5)
try trainer.train(on: BatchList((0..<50).map { _ in try makeBatch() }), for: .epochs(12))

let tests = (0..<64).map { _ in randomString().map(Int32.init) }
let outputs = model.decode(tests, BeamSearch(width: 3)).map { $0[0].tokens }  // the best of each beam
let right = zip(tests, outputs).filter { $1 == Array($0.reversed()) }.count
func text(_ s: [Int32]) -> String { String(s.map { letters[Int($0)] }) }
for (s, out) in zip(tests, outputs).prefix(3) { print("\(text(s)) -> \(text(out))") }
print("\(right) of 64 held-out strings reversed exactly")
