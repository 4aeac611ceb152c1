import Foundation
import Linalg
import RNN
import Testing

/// The point of gated cells: recall a token seen 40 steps earlier. Each sequence is a
/// key (one of 4 symbols), then 40 random distractors (4 other symbols); the model
/// must name the key at the end (many-to-one; chance is 25%). Budget: 300 Adam steps
/// (lr 0.005, clip 5), batch 32, hidden 32, for each of eight seeds (the same for every
/// cell). The GRU and LSTM start with their carry gate biased to `log(40)`
/// (`initializeCarryGate`).
///
/// One seed is luck either way, so the claim is a success rate over seeds. Measured with
/// both kernel variants (AVX2 + FMA, and `SWIFT_RNN_KERNELS=baseline`): GRU >= 90% on 8
/// of 8 seeds, LSTM on 8 and 7 (one baseline run diverged after reaching 100%); the
/// vanilla tanh RNN, whose gradient through 40 steps of `W_hh` vanishes, on 1 and 2, with
/// a mean accuracy near 50%.
struct LongMemoryTests {
    static let (keys, distractors, gap, B) = (4, 4, 40, 32)
    static let seeds: [UInt64] = Array(71...78)

    static func batch(_ rng: inout SeededRandom) -> (tokens: [Int32], labels: [Int32]) {
        let T = gap + 1
        var tokens = (0..<(T * B)).map { _ in Int32(keys + rng.index(below: distractors)) }
        var labels = [Int32](repeating: 0, count: B)
        for b in 0..<B {
            labels[b] = Int32(rng.index(below: keys))
            tokens[b] = labels[b]
        }
        return (tokens, labels)
    }

    static func accuracyAfterTraining(_ cell: RecurrentCell, seed: UInt64) -> Double {
        var rng = SeededRandom(seed: seed)
        let model = ManyToOneModel(inputSize: keys + distractors, hiddenSize: 32, outputSize: keys, cell: cell, using: &rng)
        if cell != .rnn { model.rnn.initializeCarryGate(bias: Float(log(Double(gap)))) }
        let optimizer = Adam(learningRate: 0.005)
        for _ in 0..<300 {
            let d = batch(&rng)
            model.computeGradients(.tokens(d.tokens), labels: d.labels, batchSize: B)
            GradientClipping.clipGlobalNorm(model.parameters, maxNorm: 5)
            optimizer.step(model.parameters)
        }
        var correct = 0
        for _ in 0..<8 {
            let d = batch(&rng)
            correct += zip(model.predict(.tokens(d.tokens), batchSize: B), d.labels).filter { $0 == $1 }.count
        }
        return Double(correct) / Double(8 * B)
    }

    @Test(arguments: [RecurrentCell.lstm, .gru])
    func gatedCellsRecallAcrossFortyStepsOnNearlyEverySeed(_ cell: RecurrentCell) {
        let accuracies = Self.seeds.map { Self.accuracyAfterTraining(cell, seed: $0) }
        #expect(accuracies.filter { $0 >= 0.9 }.count >= 7, "\(cell) accuracies \(accuracies)")
        #expect(accuracies.reduce(0, +) / Double(accuracies.count) >= 0.9, "\(cell) accuracies \(accuracies)")
    }

    @Test func vanillaRNNRarelyDoesWithinTheSameBudget() {
        let accuracies = Self.seeds.map { Self.accuracyAfterTraining(.rnn, seed: $0) }
        #expect(accuracies.filter { $0 >= 0.9 }.count <= 3, "rnn accuracies \(accuracies)")
        #expect(accuracies.reduce(0, +) / Double(accuracies.count) < 0.7, "rnn accuracies \(accuracies)")
    }

    @Test func carryGateBiasSetsTheRightBlock() {
        var rng = SeededRandom(seed: 1)
        let store = ParameterStore()
        let lstm = LSTM(inputSize: 3, hiddenSize: 2, parameters: store)
        lstm.initialize(using: &rng)
        lstm.initializeCarryGate(bias: 1.5)
        let bih = store.tensor("rnn.bias_ih_l0"), bhh = store.tensor("rnn.bias_hh_l0")
        #expect(Array(bih[2..<4]) == [1.5, 1.5] && Array(bhh[2..<4]) == [0, 0])
        #expect(bih[0] != 1.5 && bih[4] != 1.5)
    }
}
