import Foundation
import Linalg
import RNN
import Testing
import ToolTesting

/// The naive reference: per step, per example, per unit, in Double, straight from
/// PyTorch's documented equations for `nn.RNN`, `nn.GRU` and `nn.LSTM`.
func naiveForward(
    _ store: ParameterStore, cell: RecurrentCell = .rnn, I: Int, H: Int, L: Int,
    nonlinearity: Nonlinearity = .tanh,
    input: [[Double]], B: Int, T: Int, h0: [Double]?
) -> (outputs: [Double], final: [Double]) {
    func sigmoid(_ v: Double) -> Double { 1 / (1 + Foundation.exp(-v)) }
    var x = input  // [T*B][I_k]
    let P = cell.stateParts
    var final = [Double](repeating: 0, count: P * L * B * H)
    for k in 0..<L {
        let inSize = k == 0 ? I : H
        let wih = store.tensor("rnn.weight_ih_l\(k)").map(Double.init), whh = store.tensor("rnn.weight_hh_l\(k)").map(Double.init)
        let bih = store.tensor("rnn.bias_ih_l\(k)").map(Double.init), bhh = store.tensor("rnn.bias_hh_l\(k)").map(Double.init)
        // Row `i` of gate block `g`: input part and hidden part of its pre-activation.
        func wx(_ g: Int, _ i: Int, _ xt: [Double]) -> Double {
            (0..<inSize).reduce(bih[g * H + i]) { $0 + wih[(g * H + i) * inSize + $1] * xt[$1] }
        }
        func wh(_ g: Int, _ i: Int, _ h: [Double]) -> Double {
            (0..<H).reduce(bhh[g * H + i]) { $0 + whh[(g * H + i) * H + $1] * h[$1] }
        }
        var out = [[Double]](repeating: [], count: T * B)
        for b in 0..<B {
            var h = (0..<H).map { j in h0?[(k * B + b) * H + j] ?? 0 }
            var c = (0..<H).map { j in P == 2 ? h0?[((L + k) * B + b) * H + j] ?? 0 : 0 }
            for t in 0..<T {
                let xt = x[t * B + b]
                var next = [Double](repeating: 0, count: H)
                for i in 0..<H {
                    switch cell {
                    case .rnn:
                        let s = wx(0, i, xt) + wh(0, i, h)
                        next[i] = nonlinearity == .tanh ? Foundation.tanh(s) : max(s, 0)
                    case .gru:
                        let r = sigmoid(wx(0, i, xt) + wh(0, i, h)), z = sigmoid(wx(1, i, xt) + wh(1, i, h))
                        let n = Foundation.tanh(wx(2, i, xt) + r * wh(2, i, h))
                        next[i] = (1 - z) * n + z * h[i]
                    case .lstm:
                        let ig = sigmoid(wx(0, i, xt) + wh(0, i, h)), f = sigmoid(wx(1, i, xt) + wh(1, i, h))
                        let g = Foundation.tanh(wx(2, i, xt) + wh(2, i, h)), o = sigmoid(wx(3, i, xt) + wh(3, i, h))
                        c[i] = f * c[i] + ig * g
                        next[i] = o * Foundation.tanh(c[i])
                    }
                }
                h = next
                out[t * B + b] = h
            }
            for j in 0..<H {
                final[(k * B + b) * H + j] = h[j]
                if P == 2 { final[((L + k) * B + b) * H + j] = c[j] }
            }
        }
        x = out
    }
    return (x.flatMap { $0 }, final)
}

struct RecurrentStackForwardTests {
    /// GRU and LSTM against the naive reference, with a given initial state.
    @Test(.precision(.fp32), arguments: [RecurrentCell.gru, .lstm])
    func gatedForwardEqualsNaiveReference(_ cell: RecurrentCell) {
        var rng = SeededRandom(seed: 81)
        let (I, H, L, B, T) = (5, 6, 2, 3, 5)
        let store = ParameterStore()
        let stack = RecurrentStack.make(cell, inputSize: I, hiddenSize: H, numLayers: L, parameters: store)
        stack.initialize(using: &rng)
        for i in 0..<store.count { store.values[i] *= 3 }  // saturate some gates too
        let h0 = (0..<stack.stateSize(batchSize: B)).map { _ in rng.uniform(-1, 1) }
        let x = Matrix.random(T * B, I, using: &rng)
        stack.forward(.dense(x), batchSize: B, initialState: h0)
        let ref = naiveForward(
            store, cell: cell, I: I, H: H, L: L, input: (0..<(T * B)).map { x.row($0).map(Double.init) },
            B: B, T: T, h0: h0.map(Double.init))
        #expect(zip(stack.outputs.storage, ref.outputs).allSatisfy { abs(Double($0) - $1) < 2e-5 })
        #expect(zip(stack.finalState(), ref.final).allSatisfy { abs(Double($0) - $1) < 2e-5 })
        #expect(store.slot(named: "rnn.weight_ih_l0")!.shape == [cell.gateCount * H, I])
    }
}

struct ElmanRNNForwardTests {
    @Test(.precision(.fp32), arguments: Nonlinearity.allCases)
    func batchedForwardEqualsNaiveReference(_ nonlinearity: Nonlinearity) {
        var rng = SeededRandom(seed: 8)
        let (I, H, L, B, T) = (7, 9, 3, 4, 6)
        let store = ParameterStore()
        let rnn = ElmanRNN(inputSize: I, hiddenSize: H, numLayers: L, nonlinearity: nonlinearity, parameters: store)
        rnn.initialize(using: &rng)
        let h0 = (0..<(L * B * H)).map { _ in rng.uniform(-1, 1) }
        // Dense input.
        let x = Matrix.random(T * B, I, using: &rng)
        rnn.forward(.dense(x), batchSize: B, initialState: h0)
        let ref = naiveForward(
            store, I: I, H: H, L: L, nonlinearity: nonlinearity,
            input: (0..<(T * B)).map { x.row($0).map(Double.init) }, B: B, T: T, h0: h0.map(Double.init))
        let out = rnn.outputs.storage
        #expect(zip(out, ref.outputs).allSatisfy { abs(Double($0) - $1) < 1e-5 })
        #expect(zip(rnn.finalState(), ref.final).allSatisfy { abs(Double($0) - $1) < 1e-5 })
        // Token input equals one-hot dense input; -1 equals the zero vector.
        let tokens = (0..<(T * B)).map { r in r % 5 == 4 ? Int32(-1) : Int32(rng.index(below: I)) }
        rnn.forward(.tokens(tokens), batchSize: B)
        let oneHot = tokens.map { t in (0..<I).map { Double($0 == Int(t) ? 1 : 0) } }
        let refTokens = naiveForward(store, I: I, H: H, L: L, nonlinearity: nonlinearity, input: oneHot, B: B, T: T, h0: nil)
        #expect(zip(rnn.outputs.storage, refTokens.outputs).allSatisfy { abs(Double($0) - $1) < 1e-5 })
    }

    @Test func carryingTheStateAcrossChunksEqualsOneLongRun() {
        var rng = SeededRandom(seed: 9)
        let store = ParameterStore()
        let rnn = ElmanRNN(inputSize: 5, hiddenSize: 6, numLayers: 2, parameters: store)
        rnn.initialize(using: &rng)
        let B = 2
        let tokens = (0..<(10 * B)).map { _ in Int32(rng.index(below: 5)) }
        rnn.forward(.tokens(tokens), batchSize: B)
        let whole = rnn.outputs.storage, wholeFinal = rnn.finalState()
        rnn.forward(.tokens(Array(tokens[0..<(4 * B)])), batchSize: B)
        let first = rnn.outputs.storage
        rnn.forward(.tokens(Array(tokens[(4 * B)...])), batchSize: B, initialState: rnn.finalState())
        let second = rnn.outputs.storage
        #expect(zip(whole, first + second).allSatisfy { abs($0 - $1) < 1e-6 })
        #expect(zip(wholeFinal, rnn.finalState()).allSatisfy { abs($0 - $1) < 1e-6 })
    }

    @Test func finalStateWithLengthsReadsEachSequencesLastStep() {
        var rng = SeededRandom(seed: 10)
        let store = ParameterStore()
        let rnn = ElmanRNN(inputSize: 3, hiddenSize: 4, parameters: store)
        rnn.initialize(using: &rng)
        rnn.forward(.tokens([0, 1, 2, 0, 1, 2]), batchSize: 2)  // T = 3
        let out = rnn.outputs
        let fin = rnn.finalState(lengths: [2, 3])
        #expect(Array(fin[0..<4]) == out.row(2 * 1 + 0))  // sequence 0 after step 1
        #expect(Array(fin[4..<8]) == out.row(2 * 2 + 1))  // sequence 1 after step 2
    }

    @Test func parametersHavePyTorchNamesAndShapes() {
        let store = ParameterStore()
        _ = ElmanRNN(inputSize: 17, hiddenSize: 12, numLayers: 2, parameters: store)
        _ = Linear(inputSize: 12, outputSize: 17, parameters: store)
        #expect(
            store.slots.map(\.name) == [
                "rnn.weight_ih_l0", "rnn.weight_hh_l0", "rnn.bias_ih_l0", "rnn.bias_hh_l0",
                "rnn.weight_ih_l1", "rnn.weight_hh_l1", "rnn.bias_ih_l1", "rnn.bias_hh_l1",
                "fc.weight", "fc.bias",
            ])
        #expect(store.slots.map(\.shape) == [[12, 17], [12, 12], [12], [12], [12, 12], [12, 12], [12], [12], [17, 12], [17]])
        #expect(store.count == 12 * 17 + 144 + 24 + 144 + 144 + 24 + 17 * 12 + 17)
    }

    @Test func initializationSchemes() {
        var rng = SeededRandom(seed: 12)
        let store = ParameterStore()
        let rnn = ElmanRNN(inputSize: 5, hiddenSize: 16, parameters: store)
        rnn.initialize(.pytorchDefault, using: &rng)
        #expect(store.values.allSatisfy { abs($0) <= 0.25 })  // 1/sqrt(16)
        #expect(store.values.filter { $0 == 0 }.count < 3)
        rnn.initialize(.orthogonal, using: &rng)
        let w = Matrix(rows: 16, cols: 16, storage: store.tensor("rnn.weight_hh_l0"))
        #expect(w.matmul(w, transposeSelf: true).maxAbsDifference(.identity(16)) < 1e-5)
        rnn.initialize(.identity, using: &rng)
        #expect(store.tensor("rnn.weight_hh_l0") == Matrix.identity(16).storage)
        #expect(store.tensor("rnn.bias_hh_l0").allSatisfy { $0 == 0 })
        var a = SeededRandom(seed: 3), b = SeededRandom(seed: 3)
        let m1 = ManyToManyModel(inputSize: 4, hiddenSize: 8, outputSize: 4, using: &a)
        let m2 = ManyToManyModel(inputSize: 4, hiddenSize: 8, outputSize: 4, using: &b)
        #expect(m1.parameters.values == m2.parameters.values)
    }
}
