/// Adagrad as `torch.optim.Adagrad`: `clr = lr / (1 + (t-1)·lrDecay)`,
/// `sum += g²`, `p -= clr · g / (sqrt(sum) + eps)` with `eps 1e-10`.
/// - Complexity: one pass over the parameter buffer per step.
public final class Adagrad: Optimizer {
    public var learningRate: Float
    public var learningRateDecay: Float
    public var weightDecay: Float
    public var initialAccumulator: Float
    public var epsilon: Float
    public private(set) var stepCount = 0
    public let name = "adagrad"
    public var configuration: OptimizerConfiguration {
        .adagrad(
            learningRate: learningRate, learningRateDecay: learningRateDecay, weightDecay: weightDecay,
            initialAccumulator: initialAccumulator, epsilon: epsilon)
    }
    let sum = Moment("sum")

    public init(
        learningRate: Float = 1e-2, learningRateDecay: Float = 0, weightDecay: Float = 0,
        initialAccumulator: Float = 0, epsilon: Float = 1e-10
    ) {
        precondition(
            learningRate >= 0 && learningRateDecay >= 0 && weightDecay >= 0 && initialAccumulator >= 0,
            "Adagrad hyperparameters must be non-negative")
        self.learningRate = learningRate
        self.learningRateDecay = learningRateDecay
        self.weightDecay = weightDecay
        self.initialAccumulator = initialAccumulator
        self.epsilon = epsilon
    }

    public func step(_ parameters: ParameterStore) {
        let n = parameters.count
        sum.prepare(count: n, initial: initialAccumulator)
        stepCount += 1
        let clr = learningRate / (1 + Float(stepCount - 1) * learningRateDecay)
        let (wd, eps) = (weightDecay, epsilon)
        parameters.gradients.withUnsafeBufferPointer { g in
            parameters.values.withUnsafeMutableBufferPointer { p in
                sum.values.withUnsafeMutableBufferPointer { s in
                    for i in 0..<n {
                        let gi = g[i] + wd * p[i]
                        s[i] += gi * gi
                        p[i] -= clr * gi / (s[i].squareRoot() + eps)
                    }
                }
            }
        }
    }

    public var stateBuffers: [String: [Float]] { Moments(sum).state }

    public func restore(stateBuffers: [String: [Float]], stepCount: Int) throws {
        let stepCount = try Self.checkedStepCount(stepCount)
        try Moments(sum).restore(stateBuffers, active: [sum])
        self.stepCount = stepCount
    }
}
