import Foundation
import Testing
import Linalg
import RNN

struct LossTests {
    @Test func crossEntropyMatchesNaiveFormula() {
        var rng = SeededRandom(seed: 2)
        let logits = Matrix.random(5, 4, low: -30, high: 30, using: &rng)   // large: exercises max subtraction
        let targets: [Int32] = [0, 3, -1, 2, 1]
        let (loss, grad) = SoftmaxCrossEntropy.compute(logits: logits, targets: targets)
        var total = 0.0
        for r in [0, 1, 3, 4] {
            let z = logits.row(r).map(Double.init)
            let m = z.max()!
            let lse = m + Foundation.log(z.reduce(0) { $0 + Foundation.exp($1 - m) })
            total += lse - z[Int(targets[r])]
            for c in 0..<4 {
                let p = Foundation.exp(z[c] - lse)
                let expected = (p - (c == Int(targets[r]) ? 1 : 0)) / 4
                #expect(abs(Double(grad[r, c]) - expected) < 1e-6)
            }
        }
        #expect(abs(Double(loss) - total / 4) < 1e-4)
        #expect(grad.row(2) == [0, 0, 0, 0])
        let masked = SoftmaxCrossEntropy.compute(logits: logits, targets: [0, 3, 1, 2, 1], mask: [true, true, false, true, true])
        #expect(masked.loss == loss && masked.gradient == grad)
        let none = SoftmaxCrossEntropy.compute(logits: logits, targets: [-1, -1, -1, -1, -1])
        #expect(none.loss == 0 && none.gradient.storage.allSatisfy { $0 == 0 })
        #expect(SoftmaxCrossEntropy.compute(logits: Matrix(rows: [[0, 0]]), targets: [1]).loss == Float(Foundation.log(2.0)))
    }

    @Test func meanSquaredError() {
        let y = Matrix(rows: [[1, 2], [3, 4]]), t = Matrix(rows: [[0, 2], [5, 4]])
        let (loss, grad) = MeanSquaredError.compute(prediction: y, target: t)
        #expect(loss == 5.0 / 4)
        #expect(grad.storage == [0.5, 0, -1, 0])
    }

    @Test func probabilitiesWithTemperature() {
        let p = SoftmaxCrossEntropy.probabilities([1, 2, 3], temperature: 1)
        #expect(abs(p.reduce(0, +) - 1) < 1e-12 && p[2] > p[1] && p[1] > p[0])
        let cold = SoftmaxCrossEntropy.probabilities([1, 2, 3], temperature: 0.1)
        #expect(cold[2] > 0.99)
    }
}
