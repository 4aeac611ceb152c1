import Linalg

/// The generating half shared by `OneToManyModel` and `EncoderDecoderModel`: a token stack
/// and an output layer trained with teacher forcing — step `t` reads the target of step
/// `t - 1` (the start token at step 0) — from a given initial state. With `attention`
/// (an encoder-decoder's), the output layer reads the attentional states `h̃` instead of
/// the stack's outputs.
///
/// Its workspaces (the inputs and the logits) are reused, so a training step allocates
/// nothing once `(B, T)` stop growing.
final class TeacherForcedDecoder {
    let rnn: RecurrentStack
    let fc: Linear
    let startToken: Int32
    /// Between the stack and the output layer, after its `attend` of the batch's sources.
    let attention: Attention?
    /// The teacher-forcing inputs `[T*B]` of the last run.
    private var inputs: [Int32] = []
    /// The logits `[T*B, V]` of the last run (their gradient after a backward run).
    private let logits = FloatBuffer()
    var profiler: PhaseProfiler?

    init(rnn: RecurrentStack, fc: Linear, startToken: Int32, attention: Attention? = nil) {
        self.rnn = rnn
        self.fc = fc
        self.startToken = startToken
        self.attention = attention
    }

    /// Runs the stack from `initialState` over the teacher-forcing inputs of `targets`
    /// (`[T*B]`, `-1` = padding) and returns the mean cross-entropy over the counted
    /// targets; with `backward`, accumulates the gradients of `fc` and the stack, and
    /// `rnn.initialStateGradient` holds d(loss)/d(initialState) (and `attention.memoryGradient`
    /// d(loss)/d(memory)).
    func run(targets: [Int32], batchSize B: Int, initialState: [Float], backward: Bool) -> Double {
        precondition(!targets.isEmpty && targets.count % B == 0, "targets must be [T*B] for B = \(B), got \(targets.count)")
        inputs.removeAll(keepingCapacity: true)
        inputs.append(contentsOf: repeatElement(startToken, count: B))
        inputs.append(contentsOf: targets.prefix(targets.count - B))
        rnn.forward(.tokens(inputs), batchSize: B, initialState: initialState)
        let rows = targets.count, V = fc.outputSize
        let loss = profiler.measure(.outputAndLoss) {
            logits.resize(rows * V)
            // The output layer's input: the stack's outputs, or their attentional states.
            let x = rnn.withOutputs { h in
                attention?.forward(queries: h.baseAddress!, steps: rows / B) ?? UnsafeMutablePointer(mutating: h.baseAddress!)
            }
            fc.forward(x, rows: rows, into: logits.pointer)
            let loss = targets.withUnsafeBufferPointer { t in
                SoftmaxCrossEntropy.compute(
                    logits: logits.pointer, rows: rows, classes: V, targets: t.baseAddress!,
                    gradient: backward ? logits.pointer : nil
                ).loss
            }
            if backward {
                rnn.withOutputGradient { dh in
                    if let attention {
                        fc.backward(logits.pointer, input: x, rows: rows, inputGradient: attention.stateGradient.pointer)
                        attention.backward(addingQueryGradientTo: dh.baseAddress!)
                    } else {
                        fc.backward(logits.pointer, input: x, rows: rows, inputGradient: dh.baseAddress!)
                    }
                }
            }
            return loss
        }
        if backward { rnn.backward() }
        return loss
    }

    /// The most likely token of each row `[T*B]` of the last run without backward (its
    /// logits are still there).
    func predictions() -> [Int32] { Self.mostLikely(logits, classes: fc.outputSize) }

    /// The most likely class of each row of `logits` `[rows, classes]`.
    static func mostLikely(_ logits: FloatBuffer, classes V: Int) -> [Int32] {
        (0..<(logits.count / V)).map { r in
            let row = logits.pointer + r * V
            var best = 0
            for v in 1..<V where row[v] > row[best] { best = v }
            return Int32(best)
        }
    }
}
