import Linalg

/// The bridge from a bidirectional encoder's final state to a one-directional decoder's
/// initial state (`EncoderDecoderModel` with `bidirectionalEncoder`): per state part (`h`,
/// and the LSTM's `c`) one linear map of `[forward, reverse]` to `H`, shared by the layers —
///
///     decoder[p][k] = W_p · [encoder[p][2k]; encoder[p][2k+1]] + b_p
///
/// (OpenNMT's "bridge" without its activation, so that an LSTM's cell state keeps its
/// range). Parameters `bridge.weight` [H, 2H], `bridge.bias` [H], and for the LSTM
/// `bridge_cell.weight`, `bridge_cell.bias` — `nn.Linear(2 * H, H)` each.
///
/// States are the stacks' flat layouts: the encoder's `[parts, 2L, B, H]` (block
/// `layer·2 + direction`), the decoder's `[parts, L, B, H]`.
/// - Complexity: `O(parts·L·B·H·2H)` forward and backward.
final class EncoderBridge {
    let parts: [Linear]
    let hiddenSize: Int
    let numLayers: Int
    /// Per part `[L·B, 2H]`: the two directions' final states side by side (kept for backward).
    private var inputs: [FloatBuffer]
    /// `[L·B, 2H]`: d(loss)/d(one part's inputs).
    private let inputGradient = FloatBuffer()

    /// The prefixes of the parts' parameters: `bridge.`, then `bridge_cell.` for the LSTM.
    static func prefixes(_ cell: RecurrentCell) -> [String] { ["bridge.", "bridge_cell."].prefix(cell.stateParts).map { $0 } }

    static func parameterShapes(_ recurrent: RecurrentConfiguration) -> [ParameterShape] {
        prefixes(recurrent.cell).flatMap {
            Linear.parameterShapes(inputSize: 2 * recurrent.hiddenSize, outputSize: recurrent.hiddenSize, prefix: $0)
        }
    }

    init(_ recurrent: RecurrentConfiguration, parameters: ParameterStore) {
        hiddenSize = recurrent.hiddenSize
        numLayers = recurrent.numLayers
        parts = Self.prefixes(recurrent.cell).map {
            Linear(inputSize: 2 * recurrent.hiddenSize, outputSize: recurrent.hiddenSize, parameters: parameters, prefix: $0)
        }
        inputs = parts.map { _ in FloatBuffer() }
    }

    func initialize(using rng: inout SeededRandom) { for part in parts { part.initialize(using: &rng) } }

    /// Calls `body(joined, state)` for each layer `k`, sequence `b` and direction: where
    /// that `H`-row stands in a part's joined rows `[L·B, 2H]` and in the encoder's state
    /// part `[2L, B, H]`.
    private func forEachRow(batchSize B: Int, _ body: (_ joined: Int, _ state: Int) -> Void) {
        let (H, L) = (hiddenSize, numLayers)
        for k in 0..<L {
            for b in 0..<B {
                for direction in 0..<2 { body((k * B + b) * 2 * H + direction * H, ((2 * k + direction) * B + b) * H) }
            }
        }
    }

    /// The decoder's initial state from the encoder's final state, for `B` sequences.
    func forward(_ encoder: [Float], batchSize B: Int, into decoder: inout [Float]) {
        let (H, L) = (hiddenSize, numLayers)
        precondition(encoder.count == parts.count * 2 * L * B * H, "the encoder's state has \(encoder.count) values for B \(B)")
        if decoder.count != parts.count * L * B * H { decoder = [Float](repeating: 0, count: parts.count * L * B * H) }
        encoder.withUnsafeBufferPointer { e in
            decoder.withUnsafeMutableBufferPointer { d in
                for (p, part) in parts.enumerated() {
                    inputs[p].resize(L * B * 2 * H)
                    let x = inputs[p].pointer, source = e.baseAddress! + p * 2 * L * B * H
                    forEachRow(batchSize: B) { joined, state in (x + joined).update(from: source + state, count: H) }
                    part.forward(x, rows: L * B, into: d.baseAddress! + p * L * B * H)
                }
            }
        }
    }

    /// Adds d(loss)/d(parameters) from d(loss)/d(decoder state) and writes d(loss)/d(encoder
    /// state), after `forward` of the same batch.
    func backward(_ decoderGradient: UnsafeBufferPointer<Float>, batchSize B: Int, into encoderGradient: inout [Float]) {
        let (H, L) = (hiddenSize, numLayers)
        if encoderGradient.count != parts.count * 2 * L * B * H {
            encoderGradient = [Float](repeating: 0, count: parts.count * 2 * L * B * H)
        }
        inputGradient.resize(L * B * 2 * H)
        encoderGradient.withUnsafeMutableBufferPointer { e in
            for (p, part) in parts.enumerated() {
                let dx = inputGradient.pointer
                part.backward(
                    decoderGradient.baseAddress! + p * L * B * H, input: inputs[p].pointer, rows: L * B,
                    inputGradient: dx)
                let target = e.baseAddress! + p * 2 * L * B * H
                forEachRow(batchSize: B) { joined, state in (target + state).update(from: dx + joined, count: H) }
            }
        }
    }
}
