import Linalg

/// A lookup table of token vectors, PyTorch's `nn.Embedding(V, E)`: parameter `weight`
/// `[V, E]` (state_dict name `embedding.weight` under the prefix `embedding.`), row `v`
/// the vector of token `v`.
///
/// ```swift
/// let embedding = Embedding(vocabularySize: 76, embeddingSize: 128, parameters: store)
/// embedding.forward(tokens, rows: T * B, into: x)          // x: [T*B, 128]
/// embedding.backward(tokens, rows: T * B, outputGradient: dx)   // dW[v] += dx rows of token v
/// ```
/// - Complexity: forward and backward O(rows·E): a row gather and a scatter-add.
public final class Embedding {
    public let vocabularySize: Int
    public let embeddingSize: Int
    public let parameters: ParameterStore
    /// `weight` `[V, E]`.
    public let weight: TensorSlot

    public init(vocabularySize: Int, embeddingSize: Int, parameters: ParameterStore, prefix: String = "embedding.") {
        precondition(
            vocabularySize > 0 && embeddingSize > 0,
            "Embedding needs positive sizes, got \(vocabularySize) x \(embeddingSize)")
        self.vocabularySize = vocabularySize
        self.embeddingSize = embeddingSize
        self.parameters = parameters
        let shape = Embedding.parameterShapes(vocabularySize: vocabularySize, embeddingSize: embeddingSize, prefix: prefix)[0]
        weight = parameters.register(shape.name, shape: shape.shape)
    }

    /// `weight` `[V, E]`: what `Embedding` registers.
    public static func parameterShapes(vocabularySize: Int, embeddingSize: Int, prefix: String) -> [ParameterShape] {
        [.init(name: "\(prefix)weight", shape: [vocabularySize, embeddingSize])]
    }

    /// PyTorch's `nn.Embedding` default, `N(0, 1)`; with `uniformBound`, `U(-bound, bound)`
    /// instead (what pytorch/examples' word_language_model uses, 0.1, for tied weights).
    public func initialize(uniformBound: Float? = nil, using rng: inout SeededRandom) {
        for i in weight.range {
            parameters.values[i] = uniformBound.map { rng.uniform(-$0, $0) } ?? rng.normal()
        }
    }

    /// `out[r] = weight[tokens[r]]` for `rows` tokens into `out` `[rows, E]`; a token of
    /// `-1` (padding) gets a zero row.
    public func forward(_ tokens: UnsafePointer<Int32>, rows: Int, into out: UnsafeMutablePointer<Float>) {
        let E = embeddingSize
        parameters.values.withUnsafeBufferPointer { values in
            let w = values.baseAddress! + weight.offset
            for r in 0..<rows {
                let v = Int(tokens[r])
                precondition(v >= -1 && v < vocabularySize, "token \(v) at row \(r) is outside 0..<\(vocabularySize)")
                if v >= 0 { (out + r * E).update(from: w + v * E, count: E) } else { (out + r * E).update(repeating: 0, count: E) }
            }
        }
    }

    /// Accumulates `dW[tokens[r]] += dY[r]` into `parameters.gradients` (`dY` `[rows, E]`).
    public func backward(_ tokens: UnsafePointer<Int32>, rows: Int, outputGradient dy: UnsafePointer<Float>) {
        let E = embeddingSize
        parameters.gradients.withUnsafeMutableBufferPointer { grads in
            let g = grads.baseAddress! + weight.offset
            for r in 0..<rows {
                let v = Int(tokens[r])
                if v >= 0 { BLAS.axpy(count: E, alpha: 1, x: dy + r * E, y: g + v * E) }
            }
        }
    }
}
