import Linalg

/// One-to-many: a fixed-size input vector sets the initial state through a `Linear`
/// (`init.weight` [S, F], `S` the state size per sequence: `L*H`, or `2*L*H` for an LSTM's `(h, c)`), and a token RNN generates a sequence from it (image
/// captioning, sequence generation from a code). Trained with teacher forcing: step
/// `t` reads the target of step `t - 1` (a start token at step 0).
///
/// ```swift
/// var rng = SeededRandom(seed: 0)
/// // 4 features -> sequences over 11 tokens; token 10 starts every sequence.
/// let model = OneToManyModel(featureSize: 4, vocabularySize: 11, hiddenSize: 32, startToken: 10, using: &rng)
/// let loss = model.computeGradients(features: x, targets: y)   // x [B, 4], y [T*B]
/// let sequences = model.generate(features: x, length: 5)       // greedy, [B][5]
/// ```
/// - Complexity: `O(B·F·L·H + T·B·H·(V + H·L))` per forward and per backward.
public final class OneToManyModel {
    public let parameters = ParameterStore()
    public let initial: Linear
    public let rnn: RecurrentStack
    public let fc: Linear
    public let startToken: Int32
    var features = Matrix.zeros(0, 0)

    public init(featureSize: Int, vocabularySize: Int, hiddenSize: Int, numLayers: Int = 1,
                cell: RecurrentCell = .rnn, nonlinearity: Nonlinearity = .tanh, startToken: Int32,
                using rng: inout SeededRandom) {
        precondition(startToken >= 0 && Int(startToken) < vocabularySize, "startToken must be a token of the vocabulary")
        initial = Linear(inputSize: featureSize, outputSize: cell.stateParts * numLayers * hiddenSize,
                         parameters: parameters, prefix: "init.")
        rnn = RecurrentStack.make(cell, inputSize: vocabularySize, hiddenSize: hiddenSize, numLayers: numLayers,
                                  nonlinearity: nonlinearity, parameters: parameters, prefix: "rnn.")
        fc = Linear(inputSize: hiddenSize, outputSize: vocabularySize, parameters: parameters, prefix: "fc.")
        self.startToken = startToken
        initial.initialize(using: &rng)
        rnn.initialize(using: &rng)
        fc.initialize(using: &rng)
    }

    /// The initial state `[parts, L, B, H]` for `features` `[B, F]`.
    public func initialState(features: Matrix) -> [Float] {
        let y = initial.forward(features)           // [B, S], row b = [part 0 layer 0 | part 0 layer 1 | ...]
        return OneToManyModel.layerMajor(y.storage, batch: features.rows, layers: stateBlocks, hidden: rnn.hiddenSize)
    }

    /// Number of `[B, H]` blocks in the state: `parts * numLayers`.
    var stateBlocks: Int { rnn.cell.stateParts * rnn.numLayers
    }

    /// `[B, L, H]` <-> `[L, B, H]` (the same permutation both ways when `inverse`).
    static func layerMajor(_ x: [Float], batch B: Int, layers L: Int, hidden H: Int, inverse: Bool = false) -> [Float] {
        var out = [Float](repeating: 0, count: x.count)
        for b in 0..<B {
            for l in 0..<L {
                for j in 0..<H {
                    let bm = (b * L + l) * H + j, lm = (l * B + b) * H + j
                    if inverse { out[bm] = x[lm] } else { out[lm] = x[bm] }
                }
            }
        }
        return out
    }

    /// Logits `[T*B, V]` under teacher forcing for `targets` `[T*B]` (`-1` = padding).
    public func forward(features: Matrix, targets: [Int32]) -> Matrix {
        let B = features.rows
        precondition(targets.count % B == 0 && !targets.isEmpty, "targets must be [T*B] for B = \(B)")
        self.features = features
        let inputs = GreedyDecoder.teacherForcingInputs(targets: targets, batchSize: B, start: startToken)
        rnn.forward(.tokens(inputs), batchSize: B, initialState: initialState(features: features))
        return fc.forward(rnn.outputs)
    }

    /// Zeroes gradients; forward with teacher forcing, cross-entropy over the counted
    /// targets, backward through the RNN into the initial-state `Linear`. Returns the loss.
    @discardableResult
    public func computeGradients(features: Matrix, targets: [Int32]) -> Double {
        parameters.zeroGradients()
        let logits = forward(features: features, targets: targets)
        let (loss, dLogits) = SoftmaxCrossEntropy.compute(logits: logits, targets: targets)
        let h = rnn.outputs
        let dh = fc.backward(dLogits, input: h)
        rnn.withOutputGradient { d in
            dh.storage.withUnsafeBufferPointer { d.baseAddress!.update(from: $0.baseAddress!, count: dh.count) }
        }
        rnn.backward()
        let dh0 = OneToManyModel.layerMajor(rnn.initialStateGradient, batch: features.rows, layers: stateBlocks,
                                            hidden: rnn.hiddenSize, inverse: true)
        initial.backward(Matrix(rows: features.rows, cols: initial.outputSize, storage: dh0), input: features)
        return Double(loss)
    }

    /// Greedy generation of `length` tokens for each row of `features` (stopping a
    /// sequence early at `stop` when given).
    public func generate(features: Matrix, length: Int, stop: Int32? = nil) -> [[Int32]] {
        GreedyDecoder.decode(rnn: rnn, fc: fc, initialState: initialState(features: features),
                             batchSize: features.rows, start: startToken, length: length, stop: stop)
    }
}
