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
    let moments = MomentBuffers()

    public init(learningRate: Float = 1e-2, alpha: Float = 0.99, epsilon: Float = 1e-8, weightDecay: Float = 0,
                momentum: Float = 0, centered: Bool = false) {
        precondition(learningRate >= 0 && alpha >= 0 && epsilon >= 0 && weightDecay >= 0 && momentum >= 0,
                     "RMSprop hyperparameters must be non-negative")
        self.learningRate = learningRate
        self.alpha = alpha
        self.epsilon = epsilon
        self.weightDecay = weightDecay
        self.momentum = momentum
        self.centered = centered
    }

    var bufferNames: [String] {
        ["square_avg"] + (momentum > 0 ? ["momentum_buffer"] : []) + (centered ? ["grad_avg"] : [])
    }

    public func step(_ parameters: ParameterStore) {
        let n = parameters.count
        moments.prepare(bufferNames, count: n)
        stepCount += 1
        let (lr, a, eps, wd, mu, centered) = (learningRate, alpha, epsilon, weightDecay, momentum, centered)
        var sq = moments.buffers.removeValue(forKey: "square_avg")!
        // Unused buffers stay empty (no allocation): the loop reads them only when enabled.
        var buf = moments.buffers.removeValue(forKey: "momentum_buffer") ?? []
        var gavg = moments.buffers.removeValue(forKey: "grad_avg") ?? []
        parameters.gradients.withUnsafeBufferPointer { g in
            parameters.values.withUnsafeMutableBufferPointer { p in
                sq.withUnsafeMutableBufferPointer { sq in
                    buf.withUnsafeMutableBufferPointer { buf in
                        gavg.withUnsafeMutableBufferPointer { gavg in
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
        moments.buffers["square_avg"] = sq
        if mu > 0 { moments.buffers["momentum_buffer"] = buf }
        if centered { moments.buffers["grad_avg"] = gavg }
    }

    public var stateBuffers: [String: [Float]] { moments.buffers }

    public func restore(stateBuffers: [String: [Float]], stepCount: Int) throws {
        let stepCount = try Self.checkedStepCount(stepCount)
        try moments.restore(stateBuffers, names: bufferNames, count: nil)
        self.stepCount = stepCount
    }
}
