import Linalg

/// Luong's input feeding under teacher forcing: the decoder's input at step `t` is
/// `[one-hot(y_{t-1}); h̃_{t-1}]` (`h̃_{-1} = 0`), so each step needs the attentional state
/// of the one before and the steps run one at a time (`EncoderDecoderModel` with
/// `Configuration.inputFeeding`; the stack's input is `V + H` wide).
///
/// Backward walks the steps from the last, recomputing each step's forward from its saved
/// initial state (the stack keeps one forward's activations), then: the output layer's and
/// the next step's gradient of `h̃_t` → attention → the stack's output → the stack's step
/// backward, whose input gradient's `h̃` part goes to step `t − 1` and whose initial-state
/// gradient is the step before's final-state gradient.
/// - Complexity: two single-step forwards and one backward of the stack per step, and the
///   attention's step over `B` rows; `O(T·B·(H + parts·L·H))` floats saved.
final class InputFeedingDecoder {
    let rnn: RecurrentStack
    let fc: Linear
    let attention: Attention
    let startToken: Int32
    private var inputs: [Int32] = []
    /// `[T, parts·L·B·H]`: each step's initial state.
    private let states = FloatBuffer()
    /// `[T·B, H]`: each step's `h̃`.
    private let feeds = FloatBuffer()
    private let logits = FloatBuffer()
    /// `[T, B, Ts]`: each step's attention weights.
    private let weights = FloatBuffer()
    private let memoryGradient = FloatBuffer()
    private let feedGradient = FloatBuffer()
    private var stateGradient: [Float] = []

    init(rnn: RecurrentStack, fc: Linear, attention: Attention, startToken: Int32) {
        self.rnn = rnn
        self.fc = fc
        self.attention = attention
        self.startToken = startToken
    }

    /// Step `t`'s forward from `initialState`: one-hot of its input token and the previous
    /// `h̃` (zeros at step 0) into the stack, then the attention's `h̃_t` (returned: the
    /// attention's workspace).
    private func step(_ t: Int, batchSize B: Int, initialState: UnsafePointer<Float>) -> UnsafeMutablePointer<Float> {
        let V = fc.outputSize, H = attention.queryWidth
        rnn.forward(denseRows: B, batchSize: B, initialState: initialState, dropout: nil) { x in
            inputs.withUnsafeBufferPointer { tokens in
                Self.writeInput(
                    into: x, tokens: tokens.baseAddress! + t * B, feeds: t > 0 ? feeds.pointer + (t - 1) * B * H : nil, rows: B,
                    vocabularySize: V, width: H)
            }
        }
        return rnn.withOutputs { h in attention.forward(queries: h.baseAddress!, steps: 1) }
    }

    /// A step's input rows `[rows, V + H]`: each row's token one-hot (none for `-1`), then
    /// its previous attentional state from `feeds` `[rows, H]` (zeros when nil: the first
    /// step). Teacher forcing and decoding (`DecoderSteps`) both build it here.
    static func writeInput(
        into x: UnsafeMutablePointer<Float>, tokens: UnsafePointer<Int32>, feeds: UnsafePointer<Float>?, rows: Int,
        vocabularySize V: Int, width H: Int
    ) {
        let I = V + H
        x.update(repeating: 0, count: rows * I)
        for r in 0..<rows {
            if tokens[r] >= 0 { x[r * I + Int(tokens[r])] = 1 }
            if let feeds { (x + r * I + V).update(from: feeds + r * H, count: H) }
        }
    }

    /// As `TeacherForcedDecoder.run`: the mean cross-entropy of `targets` `[T*B]` from
    /// `initialState`; with `backward`, the gradients of the stack, the attention and `fc`,
    /// `rnn.initialStateGradient` and `attention.memoryGradient`.
    func run(targets: [Int32], batchSize B: Int, initialState: [Float], backward: Bool) -> Double {
        precondition(!targets.isEmpty && targets.count % B == 0, "targets must be [T*B] for B = \(B), got \(targets.count)")
        let T = targets.count / B, H = attention.queryWidth, V = fc.outputSize, S = initialState.count
        let Ts = attention.memorySteps
        inputs.removeAll(keepingCapacity: true)
        inputs.append(contentsOf: repeatElement(startToken, count: B))
        inputs.append(contentsOf: targets.prefix(targets.count - B))
        states.resize(T * S)
        feeds.resize(T * B * H)
        weights.resize(T * B * Ts)
        states.pointer.update(from: initialState, count: S)
        for t in 0..<T {
            let attended = step(t, batchSize: B, initialState: states.pointer + t * S)
            (feeds.pointer + t * B * H).update(from: attended, count: B * H)
            attention.withWeights { w in (weights.pointer + t * B * Ts).update(from: w.baseAddress!, count: B * Ts) }
            if t + 1 < T { rnn.writeFinalState(into: states.pointer + (t + 1) * S) }
        }
        logits.resize(T * B * V)
        fc.forward(feeds.pointer, rows: T * B, into: logits.pointer)
        let loss = targets.withUnsafeBufferPointer { y in
            SoftmaxCrossEntropy.compute(
                logits: logits.pointer, rows: T * B, classes: V, targets: y.baseAddress!,
                gradient: backward ? logits.pointer : nil
            ).loss
        }
        guard backward else { return loss }
        memoryGradient.resize(Ts * B * attention.memoryWidth)
        memoryGradient.zero()
        feedGradient.resize(B * H)
        feedGradient.zero()
        for t in (0..<T).reversed() {
            _ = step(t, batchSize: B, initialState: states.pointer + t * S)
            // d(h̃_t): the output layer's, and step t+1's input's.
            fc.backward(
                logits.pointer + t * B * V, input: feeds.pointer + t * B * H, rows: B,
                inputGradient: attention.stateGradient.pointer)
            BLAS.axpy(count: B * H, alpha: 1, x: feedGradient.pointer, y: attention.stateGradient.pointer)
            rnn.withOutputGradient { dh in attention.backward(addingQueryGradientTo: dh.baseAddress!) }
            BLAS.axpy(count: memoryGradient.count, alpha: 1, x: attention.memoryGradient.pointer, y: memoryGradient.pointer)
            rnn.backward(finalStateGradient: t + 1 < T ? stateGradient : nil)
            rnn.withInitialStateGradient { g in
                if stateGradient.count != g.count {
                    stateGradient = Array(g)
                } else {
                    stateGradient.withUnsafeMutableBufferPointer { $0.baseAddress!.update(from: g.baseAddress!, count: g.count) }
                }
            }
            let dx = rnn.inputGradientPointer(), I = V + H
            for b in 0..<B { (feedGradient.pointer + b * H).update(from: dx + b * I + V, count: H) }
        }
        attention.memoryGradient.resize(memoryGradient.count)
        attention.memoryGradient.pointer.update(from: memoryGradient.pointer, count: memoryGradient.count)
        return loss
    }

    /// The most likely token of each row `[T*B]` of the last run without backward.
    func predictions() -> [Int32] { TeacherForcedDecoder.mostLikely(logits, classes: fc.outputSize) }

    /// The weights `[T, B, Ts]` of the last run's steps.
    func withWeights<R>(_ body: (UnsafeBufferPointer<Float>) -> R) -> R { body(UnsafeBufferPointer(weights.buffer)) }
}
