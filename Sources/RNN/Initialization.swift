import Linalg

/// How the recurrent weights of an `ElmanRNN` start.
public enum RecurrentInitialization: String, Sendable, CaseIterable {
    /// PyTorch's default: every weight and bias `U(-1/sqrt(H), 1/sqrt(H))`.
    case pytorchDefault = "default"
    /// `W_hh` a random orthogonal matrix (QR of a Gaussian matrix); the rest default.
    case orthogonal
    /// `W_hh = I` and zero biases, for ReLU RNNs (IRNN, Le et al. 2015); `W_ih` default.
    case identity
}

extension ElmanRNN {
    /// Sets this stack's parameters by `scheme`, drawing from `rng` (seeded, reproducible).
    /// - Complexity: O(parameters), plus an `O(H³)` QR per layer for `.orthogonal`.
    public func initialize(_ scheme: RecurrentInitialization = .pytorchDefault, using rng: inout SeededRandom) {
        let bound = 1 / Float(hiddenSize).squareRoot()
        for k in 0..<numLayers {
            var slots = [weightIH[k], weightHH[k]]
            if hasBias { slots += [biasIH[k], biasHH[k]] }
            for s in slots {
                for i in s.range { parameters.values[i] = rng.uniform(-bound, bound) }
            }
            switch scheme {
            case .pytorchDefault:
                break
            case .orthogonal:
                let q = Matrix.orthogonal(hiddenSize, using: &rng)
                parameters.values.replaceSubrange(weightHH[k].range, with: q.storage)
            case .identity:
                parameters.values.replaceSubrange(weightHH[k].range, with: Matrix.identity(hiddenSize).storage)
                if hasBias {
                    for s in [biasIH[k], biasHH[k]] {
                        parameters.values.replaceSubrange(s.range, with: repeatElement(0, count: s.count))
                    }
                }
            }
        }
    }
}

extension Linear {
    /// PyTorch's `nn.Linear` default: weight and bias `U(-1/sqrt(I), 1/sqrt(I))`.
    public func initialize(using rng: inout SeededRandom) {
        let bound = 1 / Float(inputSize).squareRoot()
        var slots = [weight]
        if let bias { slots.append(bias) }
        for s in slots {
            for i in s.range { parameters.values[i] = rng.uniform(-bound, bound) }
        }
    }
}
