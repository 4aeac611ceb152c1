/// Stochastic gradient descent as `torch.optim.SGD`: optional momentum (with
/// dampening and Nesterov), and L2 weight decay added to the gradient.
///
/// `g = grad + weightDecay·p; buf = momentum·buf + (1 - dampening)·g` (`buf = g` at the
/// first step); `p -= lr · (nesterov ? g + momentum·buf : buf)`; without momentum `p -= lr·g`.
/// - Complexity: one pass over the parameter buffer per step.
public final class SGD: Optimizer {
    public var learningRate: Float
    public var momentum: Float
    public var dampening: Float
    public var weightDecay: Float
    public var nesterov: Bool
    public private(set) var stepCount = 0
    public let name = "sgd"
    public var configuration: OptimizerConfiguration {
        .sgd(learningRate: learningRate, momentum: momentum, dampening: dampening, weightDecay: weightDecay, nesterov: nesterov)
    }
    let buffer = Moment("momentum_buffer")

    public init(learningRate: Float, momentum: Float = 0, dampening: Float = 0, weightDecay: Float = 0, nesterov: Bool = false) {
        precondition(learningRate >= 0 && momentum >= 0 && weightDecay >= 0, "SGD hyperparameters must be non-negative")
        self.learningRate = learningRate
        self.momentum = momentum
        self.dampening = dampening
        self.weightDecay = weightDecay
        self.nesterov = nesterov
    }

    public func step(_ parameters: ParameterStore) {
        let n = parameters.count
        let (lr, mu, damp, wd, nest) = (learningRate, momentum, dampening, weightDecay, nesterov)
        let first = stepCount == 0
        stepCount += 1
        if mu != 0 { buffer.prepare(count: n) }
        parameters.gradients.withUnsafeBufferPointer { g in
            parameters.values.withUnsafeMutableBufferPointer { p in
                buffer.values.withUnsafeMutableBufferPointer { b in
                    for i in 0..<n {
                        var d = g[i] + wd * p[i]
                        if mu != 0 {
                            b[i] = first ? d : mu * b[i] + (1 - damp) * d
                            d = nest ? d + mu * b[i] : b[i]
                        }
                        p[i] -= lr * d
                    }
                }
            }
        }
    }

    public var stateBuffers: [String: [Float]] { Moments(buffer).state }

    public func restore(stateBuffers: [String: [Float]], stepCount: Int) throws {
        let stepCount = try Self.checkedStepCount(stepCount)
        try Moments(buffer).restore(stateBuffers, active: momentum != 0 ? [buffer] : [])
        self.stepCount = stepCount
    }
}
