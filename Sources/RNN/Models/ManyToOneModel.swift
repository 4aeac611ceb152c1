import Linalg

/// Many-to-one: one output per sequence, read at each sequence's **own last step**, so
/// sequences of different lengths share a padded batch (sentence classification,
/// sequence regression).
///
/// ```swift
/// var rng = SeededRandom(seed: 0)
/// let model = ManyToOneModel(inputSize: 10, hiddenSize: 16, outputSize: 2, using: &rng)
/// // B = 2 sequences, padded to T = 3: lengths 3 and 1 (padding rows may hold any token or -1)
/// let input = SequenceInput.tokens([4, 7,  2, -1,  9, -1])
/// let loss = model.computeGradients(input, labels: [1, 0], batchSize: 2, lengths: [3, 1])
/// let classes = model.predict(input, batchSize: 2, lengths: [3, 1])
/// ```
/// Padding never changes outputs or gradients: the recurrence is causal, and no
/// gradient enters a sequence after its last step.
/// - Complexity: `O(T·B·H·(I + H·L) + B·H·O)` per forward and per backward.
public final class ManyToOneModel {
    public let parameters = ParameterStore()
    public let rnn: RecurrentStack
    public let fc: Linear
    let lastHidden = FloatBuffer()      // [B, H]
    let lastHiddenGradient = FloatBuffer()
    var lengths: [Int] = []

    public init(inputSize: Int, hiddenSize: Int, outputSize: Int, numLayers: Int = 1,
                cell: RecurrentCell = .rnn, nonlinearity: Nonlinearity = .tanh,
                initialization: RecurrentInitialization = .pytorchDefault, using rng: inout SeededRandom) {
        rnn = RecurrentStack.make(cell, inputSize: inputSize, hiddenSize: hiddenSize, numLayers: numLayers,
                                  nonlinearity: nonlinearity, parameters: parameters, prefix: "rnn.")
        fc = Linear(inputSize: hiddenSize, outputSize: outputSize, parameters: parameters, prefix: "fc.")
        rnn.initialize(initialization, using: &rng)
        fc.initialize(using: &rng)
    }

    /// The outputs `[B, outputSize]` at each sequence's last step (`lengths`, all `T` when nil).
    public func forward(_ input: SequenceInput, batchSize: Int, lengths: [Int]? = nil) -> Matrix {
        rnn.forward(input, batchSize: batchSize)
        let B = batchSize, H = rnn.hiddenSize, T = rnn.steps
        self.lengths = lengths ?? Array(repeating: T, count: B)
        rnn.checkLengths(self.lengths)
        lastHidden.resize(B * H)
        rnn.withOutputs { h in
            for b in 0..<B {
                (lastHidden.pointer + b * H).update(from: h.baseAddress! + ((self.lengths[b] - 1) * B + b) * H, count: H)
            }
        }
        var y = Matrix(rows: B, cols: fc.outputSize)
        y.storage.withUnsafeMutableBufferPointer { fc.forward(lastHidden.pointer, rows: B, into: $0.baseAddress!) }
        return y
    }

    /// Backpropagates d(loss)/d(outputs) `[B, outputSize]` of the last `forward`,
    /// accumulating into `parameters.gradients`.
    public func backward(_ outputGradient: Matrix) {
        let B = rnn.batchSize, H = rnn.hiddenSize
        precondition(outputGradient.rows == B && outputGradient.cols == fc.outputSize,
                     "output gradient is [\(outputGradient.rows), \(outputGradient.cols)], expected [\(B), \(fc.outputSize)]")
        lastHiddenGradient.resize(B * H)
        outputGradient.storage.withUnsafeBufferPointer { dy in
            fc.backward(dy.baseAddress!, input: lastHidden.pointer, rows: B, inputGradient: lastHiddenGradient.pointer)
        }
        rnn.withOutputGradient { d in
            for b in 0..<B {
                let row = d.baseAddress! + ((lengths[b] - 1) * B + b) * H
                let src = lastHiddenGradient.pointer + b * H
                for j in 0..<H { row[j] += src[j] }
            }
        }
        rnn.backward()
    }

    /// Zeroes gradients, then forward, softmax cross-entropy against `labels` `[B]`, and
    /// backward; returns the mean loss.
    @discardableResult
    public func computeGradients(_ input: SequenceInput, labels: [Int32], batchSize: Int, lengths: [Int]? = nil) -> Double {
        parameters.zeroGradients()
        let y = forward(input, batchSize: batchSize, lengths: lengths)
        let (loss, dy) = SoftmaxCrossEntropy.compute(logits: y, targets: labels)
        backward(dy)
        return Double(loss)
    }

    /// The most likely class of each sequence.
    public func predict(_ input: SequenceInput, batchSize: Int, lengths: [Int]? = nil) -> [Int32] {
        let y = forward(input, batchSize: batchSize, lengths: lengths)
        return (0..<y.rows).map { b in
            let row = y.row(b)
            return Int32(row.indices.max { row[$0] < row[$1] }!)
        }
    }
}
