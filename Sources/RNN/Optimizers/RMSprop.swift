/// RMSprop as `torch.optim.RMSprop`: `sq = α·sq + (1-α)·g²`; centered:
/// `avg = sqrt(sq - gavg²) + eps` with `gavg = α·gavg + (1-α)·g`, else `sqrt(sq) + eps`;
/// with momentum `buf = μ·buf + g/avg; p -= lr·buf`, else `p -= lr·g/avg`.
/// Defaults `α 0.99`, `eps 1e-8`.
/// - Complexity: one pass over the parameter buffer per step.
public final class RMSprop: Optimizer {
    public var learningRate: Float
    public var alpha: Float
    public var epsilon: Float
    public var weightDecay: Float
    public var momentum: Float
    public var centered: Bool
    public private(set) var stepCount = 0
    public let name = "rmsprop"
    public var configuration: OptimizerConfiguration {
        .rmsprop(
            learningRate: learningRate, alpha: alpha, epsilon: epsilon, weightDecay: weightDecay, momentum: momentum,
            centered: centered)
    }
    let squareAverage = Moment("square_avg"), momentumBuffer = Moment("momentum_buffer"), gradientAverage = Moment("grad_avg")
    var moments: Moments { Moments(squareAverage, momentumBuffer, gradientAverage) }

    public init(
        learningRate: Float = 1e-2, alpha: Float = 0.99, epsilon: Float = 1e-8, weightDecay: Float = 0,
        momentum: Float = 0, centered: Bool = false
    ) {
        precondition(
            learningRate >= 0 && alpha >= 0 && epsilon >= 0 && weightDecay >= 0 && momentum >= 0,
            "RMSprop hyperparameters must be non-negative")
        self.learningRate = learningRate
        self.alpha = alpha
        self.epsilon = epsilon
        self.weightDecay = weightDecay
        self.momentum = momentum
        self.centered = centered
    }

    /// The moments the settings use (the others stay empty: no allocation).
    var activeMoments: [Moment] {
        [squareAverage] + (momentum > 0 ? [momentumBuffer] : []) + (centered ? [gradientAverage] : [])
    }

    public func step(_ parameters: ParameterStore) {
        let n = parameters.count
        let (lr, a, eps, wd, mu, centered) = (learningRate, alpha, epsilon, weightDecay, momentum, centered)
        squareAverage.prepare(count: n)
        // Unused buffers stay empty (no allocation): the loop reads them only when enabled.
        if mu > 0 { momentumBuffer.prepare(count: n) }
        if centered { gradientAverage.prepare(count: n) }
        stepCount += 1
        parameters.gradients.withUnsafeBufferPointer { g in
            parameters.values.withUnsafeMutableBufferPointer { p in
                squareAverage.values.withUnsafeMutableBufferPointer { sq in
                    momentumBuffer.values.withUnsafeMutableBufferPointer { buf in
                        gradientAverage.values.withUnsafeMutableBufferPointer { gavg in
                            for i in 0..<n {
                                let gi = g[i] + wd * p[i]
                                sq[i] = a * sq[i] + (1 - a) * gi * gi
                                var avg: Float
                                if centered {
                                    gavg[i] = a * gavg[i] + (1 - a) * gi
                                    avg = (sq[i] - gavg[i] * gavg[i]).squareRoot() + eps
                                } else {
                                    avg = sq[i].squareRoot() + eps
                                }
                                if mu > 0 {
                                    buf[i] = mu * buf[i] + gi / avg
                                    p[i] -= lr * buf[i]
                                } else {
                                    p[i] -= lr * gi / avg
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    public var stateBuffers: [String: [Float]] { moments.state }

    public func restore(stateBuffers: [String: [Float]], stepCount: Int) throws {
        let stepCount = try Self.checkedStepCount(stepCount)
        try moments.restore(stateBuffers, active: activeMoments)
        self.stepCount = stepCount
    }
}
