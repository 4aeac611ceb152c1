import Foundation
import Linalg
import RNN
import Testing

struct LossTests {
    @Test func crossEntropyMatchesNaiveFormula() {
        var rng = SeededRandom(seed: 2)
        let logits = Matrix.random(5, 4, low: -30, high: 30, using: &rng)  // large: exercises max subtraction
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

    /// Rows of 7 to 65 classes (the fused kernel's 8-lane max and sum plus their tails),
    /// in place and into a separate buffer, against the naive formula in Double; the
    /// loss-only path gives the same loss.
    @Test(arguments: [7, 8, 9, 16, 17, 65])
    func crossEntropyMatchesNaiveFormulaForWideRows(classes: Int) {
        var rng = SeededRandom(seed: UInt64(classes))
        let rows = 6
        let logits = (0..<(rows * classes)).map { _ in rng.uniform(-20, 20) }
        let targets: [Int32] = (0..<rows).map { $0 == 2 ? -1 : Int32(rng.index(below: classes)) }
        var expectedLoss = 0.0
        var expectedGradient = [Double](repeating: 0, count: rows * classes)
        for r in 0..<rows where targets[r] >= 0 {
            let z = logits[(r * classes)..<((r + 1) * classes)].map(Double.init)
            let m = z.max()!
            let lse = m + Foundation.log(z.reduce(0) { $0 + Foundation.exp($1 - m) })
            expectedLoss += lse - z[Int(targets[r])]
            for c in 0..<classes {
                let p = Foundation.exp(z[c] - lse)
                expectedGradient[r * classes + c] = (p - (c == Int(targets[r]) ? 1 : 0)) / Double(rows - 1)
            }
        }
        expectedLoss /= Double(rows - 1)
        var inPlace = logits
        var separate = [Float](repeating: .nan, count: rows * classes)
        let (lossInPlace, lossSeparate, lossOnly) = targets.withUnsafeBufferPointer { t in
            let a = inPlace.withUnsafeMutableBufferPointer {
                SoftmaxCrossEntropy.compute(
                    logits: $0.baseAddress!, rows: rows, classes: classes,
                    targets: t.baseAddress!, gradient: $0.baseAddress!
                ).loss
            }
            let (b, c) = logits.withUnsafeBufferPointer { z in
                (
                    separate.withUnsafeMutableBufferPointer {
                        SoftmaxCrossEntropy.compute(
                            logits: z.baseAddress!, rows: rows, classes: classes,
                            targets: t.baseAddress!, gradient: $0.baseAddress!
                        ).loss
                    },
                    SoftmaxCrossEntropy.compute(
                        logits: z.baseAddress!, rows: rows, classes: classes,
                        targets: t.baseAddress!, gradient: nil
                    ).loss
                )
            }
            return (a, b, c)
        }
        for loss in [lossInPlace, lossSeparate, lossOnly] { #expect(abs(loss - expectedLoss) < 1e-5 * max(1, expectedLoss)) }
        #expect(inPlace == separate)
        for i in 0..<(rows * classes) { #expect(abs(Double(inPlace[i]) - expectedGradient[i]) < 1e-6, "element \(i)") }
        #expect(inPlace[(2 * classes)..<(3 * classes)].allSatisfy { $0 == 0 })
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
