// One-to-many: a one-hot code k (of 5) sets the initial state; the model then emits the
// digits k, k+1, ..., k+5 (mod 10), generated greedily one token at a time.
//
//   swift run -c release example-generator
import Linalg
import RNN
import RNNTraining

var rng = SeededRandom(seed: 2)
let (codes, length, start) = (5, 6, Int32(10))
var targets = [Int32](repeating: 0, count: length * codes)  // [T*B], time-major
for t in 0..<length { for k in 0..<codes { targets[t * codes + k] = Int32((k + t) % 10) } }
let batch = OneToManyModel.Batch(features: Matrix.identity(codes), targets: targets)

let model = OneToManyModel(
    .init(
        featureSize: codes, vocabularySize: 11, startToken: start,
        recurrent: .init(hiddenSize: 32)), using: &rng)
let trainer = Trainer(model: model, optimizer: Adam(learningRate: 0.02), clipNorm: 5)
try trainer.train(on: BatchList([batch]), for: .steps(200))
print("loss after 200 steps: \(model.loss(batch))")
for (k, sequence) in model.generate(features: Matrix.identity(codes), length: length).enumerated() {
    print("code \(k): \(sequence.map(String.init).joined(separator: " "))")
}
