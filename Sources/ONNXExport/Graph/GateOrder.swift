import RNN

extension RecurrentCell {
    /// For each gate block of ONNX's operator, the block of PyTorch's layout (this
    /// library's) it comes from: the LSTM's `i f g o` become ONNX's `i o f c`, the GRU's
    /// `r z n` become `z r h`; the vanilla RNN has one block.
    var onnxGateSource: [Int] {
        switch self {
        case .rnn: return [0]
        case .gru: return [1, 0, 2]
        case .lstm: return [0, 3, 1, 2]
        }
    }

    /// The ONNX operator of this cell.
    var onnxOperator: String {
        switch self {
        case .rnn: return "RNN"
        case .gru: return "GRU"
        case .lstm: return "LSTM"
        }
    }
}

extension ParameterStore {
    /// Appends tensor `name` (`[G·H, columns]`, PyTorch's gate order) to `out` with its
    /// gate blocks in ONNX's order (`RecurrentCell.onnxGateSource`).
    /// - Complexity: O(G·H·columns), one copy.
    func appendGates(_ name: String, cell: RecurrentCell, hiddenSize H: Int, to out: inout [Float]) {
        guard let slot = slot(named: name) else { preconditionFailure("the model has no tensor \(name)") }
        let columns = slot.count / (cell.gateCount * H)
        values.withUnsafeBufferPointer { all in
            for source in cell.onnxGateSource {
                let start = slot.offset + source * H * columns
                out.append(contentsOf: all[start..<start + H * columns])
            }
        }
    }

    /// Appends tensor `name` as it is.
    func append(_ name: String, to out: inout [Float]) {
        guard let slot = slot(named: name) else { preconditionFailure("the model has no tensor \(name)") }
        values.withUnsafeBufferPointer { out.append(contentsOf: $0[slot.range]) }
    }

    /// Tensor `name` as an ONNX initializer of the same name and shape.
    func onnxTensor(_ name: String) -> ONNXTensor {
        guard let slot = slot(named: name) else { preconditionFailure("the model has no tensor \(name)") }
        return ONNXTensor(name: name, dimensions: slot.shape) { append(name, to: &$0) }
    }
}
