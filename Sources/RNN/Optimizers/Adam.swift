import Foundation
import _RNNKernels

/// Adam as `torch.optim.Adam` (not AdamW): defaults `betas (0.9, 0.999)`, `eps 1e-8`,
/// L2 weight decay added to the gradient, bias correction at every step:
///
/// `m = β1·m + (1-β1)·g`, `v = β2·v + (1-β2)·g²`,
/// `p -= (lr / (1 - β1ᵗ)) · m / (sqrt(v) / sqrt(1 - β2ᵗ) + eps)`.
/// - Complexity: one pass over the parameter buffer per step (a vectorized C loop:
///   AVX2 when available, each operation rounded as in a scalar loop).
public final class Adam: Optimizer {
    public var learningRate: Float
    public var beta1: Float
    public var beta2: Float
    public var epsilon: Float
    public var weightDecay: Float
    public private(set) var stepCount = 0
    public let name = "adam"
    public var configuration: OptimizerConfiguration {
        .adam(learningRate: learningRate, beta1: beta1, beta2: beta2, epsilon: epsilon, weightDecay: weightDecay)
    }
    let m = Moment("exp_avg"), v = Moment("exp_avg_sq")
    var moments: Moments { Moments(m, v) }

    public init(learningRate: Float = 1e-3, beta1: Float = 0.9, beta2: Float = 0.999, epsilon: Float = 1e-8, weightDecay: Float = 0) {
        precondition(learningRate >= 0 && epsilon >= 0 && weightDecay >= 0, "Adam hyperparameters must be non-negative")
        precondition((0..<1).contains(beta1) && (0..<1).contains(beta2), "Adam betas must be in [0, 1)")
        self.learningRate = learningRate
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        self.weightDecay = weightDecay
    }

    public func step(_ parameters: ParameterStore) {
        let n = parameters.count
        m.prepare(count: n)
        v.prepare(count: n)
        stepCount += 1
        let t = Double(stepCount)
        let bc1 = 1 - pow(Double(beta1), t)
        let bc2 = 1 - pow(Double(beta2), t)
        let stepSize = Float(Double(learningRate) / bc1)
        let bc2Sqrt = Float(bc2.squareRoot())
        guard n > 0 else { return }
        parameters.gradients.withUnsafeBufferPointer { g in
            parameters.values.withUnsafeMutableBufferPointer { p in
                m.values.withUnsafeMutableBufferPointer { m in
                    v.values.withUnsafeMutableBufferPointer { v in
                        srnn_adam_step(
                            p.baseAddress!, g.baseAddress!, m.baseAddress!, v.baseAddress!, n, stepSize,
                            beta1, beta2, epsilon, weightDecay, bc2Sqrt)
                    }
                }
            }
        }
    }

    public var stateBuffers: [String: [Float]] { moments.state }

    public func restore(stateBuffers: [String: [Float]], stepCount: Int) throws {
        let stepCount = try Self.checkedStepCount(stepCount)
        try moments.restore(stateBuffers, active: [m, v])
        self.stepCount = stepCount
    }
}
