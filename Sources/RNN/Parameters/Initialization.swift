import Linalg

/// How the recurrent weights of a `RecurrentStack` start.
public enum RecurrentInitialization: String, Sendable, CaseIterable {
    /// PyTorch's default: every weight and bias `U(-1/sqrt(H), 1/sqrt(H))`.
    case pytorchDefault = "default"
    /// Each `[H, H]` gate block of `W_hh` a random orthogonal matrix (QR of a Gaussian
    /// matrix); the rest default.
    case orthogonal
    /// `W_hh = I` and zero biases, for ReLU RNNs (IRNN, Le et al. 2015); `W_ih` default.
    /// Vanilla RNN only.
    case identity
}

extension RecurrentStack {
    /// Sets this stack's parameters by `scheme`, drawing from `rng` (seeded, reproducible).
    /// - Precondition: `.identity` only for the vanilla RNN.
    /// - Complexity: O(parameters), plus an `O(H³)` QR per gate block for `.orthogonal`.
    public func initialize(_ scheme: RecurrentInitialization = .pytorchDefault, using rng: inout SeededRandom) {
        precondition(scheme != .identity || cell == .rnn, "identity initialization is for the vanilla RNN only, not \(cell)")
        let bound = 1 / Float(hiddenSize).squareRoot()
        for k in 0..<layerDirections {
            var slots = [weightIH[k], weightHH[k]]
            if hasBias { slots += [biasIH[k], biasHH[k]] }
            for s in slots { parameters.fillUniform(s, bound: bound, using: &rng) }
            switch scheme {
            case .pytorchDefault:
                break
            case .orthogonal:
                for gate in 0..<cell.gateCount {
                    let q = Matrix.orthogonal(hiddenSize, using: &rng)
                    let start = weightHH[k].offset + gate * hiddenSize * hiddenSize
                    parameters.values.replace(start..<start + q.count, with: q.storage)
                }
            case .identity:
                parameters.values.replace(weightHH[k].range, with: Matrix.identity(hiddenSize).storage)
                if hasBias {
                    for s in [biasIH[k], biasHH[k]] {
                        parameters.values.replace(s.range, with: repeatElement(0, count: s.count))
                    }
                }
            }
        }
    }
}

extension Linear {
    /// PyTorch's `nn.Linear` default: weight and bias `U(-1/sqrt(I), 1/sqrt(I))`; a
    /// shared weight (`init(sharing:)`) is its owner's to initialize, so only the bias is set.
    public func initialize(using rng: inout SeededRandom) {
        let bound = 1 / Float(inputSize).squareRoot()
        var slots = isWeightShared ? [] : [weight]
        if let bias { slots.append(bias) }
        for s in slots { parameters.fillUniform(s, bound: bound, using: &rng) }
    }
}

extension ParameterStore {
    /// Sets tensor `slot` to draws of `U(-bound, bound)` from `rng`, in element order —
    /// through one buffer access (one version change), not one per element.
    /// - Complexity: O(slot.count).
    func fillUniform(_ slot: TensorSlot, bound: Float, using rng: inout SeededRandom) {
        values.withUnsafeMutableBufferPointer { v in
            for i in slot.range { v[i] = rng.uniform(-bound, bound) }
        }
    }
}

extension RecurrentStack {
    /// Makes a gated cell carry its state at the start of training: sets the total
    /// bias (`b_ih + b_hh`) of the LSTM's forget gate or the GRU's update gate to `bias`
    /// in every layer and direction, so a fraction `σ(bias)` of the state is kept per step — a memory
    /// of about `1 + exp(bias)` steps. `log(T)` suits dependencies over `T` steps
    /// ("chrono" initialization, Tallec & Ollivier 2018); Jozefowicz et al. (2015)
    /// recommend 1 for the LSTM's forget gate.
    /// - Precondition: a GRU or LSTM with biases.
    public func initializeCarryGate(bias: Float) {
        precondition(cell != .rnn && hasBias, "the carry gate bias applies to a GRU or LSTM with biases")
        let H = hiddenSize
        for k in 0..<layerDirections {
            // Gate block 1 is the forget gate (LSTM: i, f, g, o) and the update gate (GRU: r, z, n).
            for j in 0..<H {
                parameters.values[biasIH[k].offset + H + j] = bias
                parameters.values[biasHH[k].offset + H + j] = 0
            }
        }
    }
}
