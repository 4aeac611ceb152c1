// Encoder-decoder: reverse strings of 1...5 letters over "abcd"; the encoder reads the
// string, the decoder writes it backwards and stops at the end token.
//
//   swift run -c release example-reverser
import Linalg
import RNN
import RNNTraining

var rng = SeededRandom(seed: 3)
let letters = Array("abcd"), (batchSize, maxLength) = (32, 5)
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
        startToken: start, endToken: end, recurrent: .init(hiddenSize: 64)), using: &rng)
let trainer = Trainer(model: model, optimizer: Adam(learningRate: 0.005), workers: 2, clipNorm: 5)
try trainer.train(on: BatchList((0..<50).map { _ in try makeBatch() }), for: .epochs(12))

let tests = (0..<64).map { _ in randomString().map(Int32.init) }
let right = tests.filter { model.translate($0, maxLength: maxLength + 1) == Array($0.reversed()) }.count
func text(_ s: [Int32]) -> String { String(s.map { letters[Int($0)] }) }
for s in tests.prefix(3) { print("\(text(s)) -> \(text(model.translate(s, maxLength: maxLength + 1)))") }
print("\(right) of 64 held-out strings reversed exactly")
