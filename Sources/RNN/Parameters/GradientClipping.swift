import Linalg

/// Clipping by global norm with PyTorch's `clip_grad_norm_` semantics.
public enum GradientClipping {
    /// Scales all gradients of `parameters` by `maxNorm / (norm + 1e-6)` when their
    /// global L2 norm exceeds `maxNorm`, and returns the norm **before** clipping
    /// (possibly non-finite, which the caller should treat as a failed step).
    /// - Complexity: two passes over the gradient buffer.
    @discardableResult
    public static func clipGlobalNorm(_ parameters: ParameterStore, maxNorm: Float) -> Float {
        precondition(maxNorm > 0, "maxNorm must be positive, got \(maxNorm)")
        let norm = globalNorm(parameters)
        if norm.isFinite && norm > maxNorm {
            let scale = maxNorm / (norm + 1e-6)
            parameters.gradients.withUnsafeMutableBufferPointer { g in
                BLAS.scale(count: g.count, alpha: scale, x: g.baseAddress!)
            }
        }
        return norm
    }

    /// The global L2 norm of all gradients (accumulated in Double).
    public static func globalNorm(_ parameters: ParameterStore) -> Float {
        Float(parameters.gradients.withUnsafeBufferPointer { Vector.sumOfSquares($0) }.squareRoot())
    }
}
