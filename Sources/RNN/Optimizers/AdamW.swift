/// AdamW as `torch.optim.AdamW`: Adam with **decoupled** weight decay — each step first
/// shrinks every parameter, `p ← p·(1 − lr·weightDecay)`, then takes Adam's step on the
/// gradient alone (no L2 term in the moments). Defaults `betas (0.9, 0.999)`, `eps 1e-8`,
/// `weight_decay 0.01`, as PyTorch's.
///
/// ```swift
/// let optimizer = AdamW(learningRate: 1e-3, weightDecay: 0.1)
/// optimizer.step(model.parameters)
/// ```
/// - Complexity: two passes over the parameter buffer per step.
public final class AdamW: Optimizer {
    /// The Adam update (its own weight decay 0) and its moments.
    private let adam: Adam
    public var weightDecay: Float
    public let name = "adamw"
    public var configuration: OptimizerConfiguration {
        .adamw(learningRate: adam.learningRate, beta1: adam.beta1, beta2: adam.beta2, epsilon: adam.epsilon, weightDecay: weightDecay)
    }

    public init(
        learningRate: Float = 1e-3, beta1: Float = 0.9, beta2: Float = 0.999, epsilon: Float = 1e-8,
        weightDecay: Float = 0.01
    ) {
        precondition(weightDecay >= 0, "AdamW weight decay must be non-negative")
        adam = Adam(learningRate: learningRate, beta1: beta1, beta2: beta2, epsilon: epsilon)
        self.weightDecay = weightDecay
    }

    public var learningRate: Float {
        get { adam.learningRate }
        set { adam.learningRate = newValue }
    }
    public var stepCount: Int { adam.stepCount }

    public func step(_ parameters: ParameterStore) {
        let decay = 1 - learningRate * weightDecay
        if decay != 1 {
            parameters.values.withUnsafeMutableBufferPointer { p in
                for i in p.indices { p[i] *= decay }
            }
        }
        adam.step(parameters)
    }

    /// Adam's: `exp_avg` and `exp_avg_sq`, as PyTorch's AdamW state.
    public var stateBuffers: [String: [Float]] { adam.stateBuffers }

    public func restore(stateBuffers: [String: [Float]], stepCount: Int) throws {
        try adam.restore(stateBuffers: stateBuffers, stepCount: stepCount)
    }
}
