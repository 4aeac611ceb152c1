/// An optimizer's kind and every one of its hyperparameters, as a value: what a checkpoint
/// stores so that a resumed optimizer is the one that was saved, not one with PyTorch's
/// defaults. `Codable` (one JSON object in a checkpoint's metadata, e.g.
/// `{"adamw":{"learningRate":0.001,"beta1":0.9,"beta2":0.999,"epsilon":1e-08,"weightDecay":0.1}}`).
///
/// ```swift
/// let adamW = AdamW(learningRate: 1e-3, weightDecay: 0.1)
/// let configuration = adamW.configuration            // .adamw(learningRate: 0.001, ..., weightDecay: 0.1)
/// let again = try configuration.makeOptimizer()      // a new AdamW with the same settings, no state
/// ```
public enum OptimizerConfiguration: Codable, Equatable, Sendable {
    case sgd(learningRate: Float, momentum: Float, dampening: Float, weightDecay: Float, nesterov: Bool)
    case adam(learningRate: Float, beta1: Float, beta2: Float, epsilon: Float, weightDecay: Float)
    case adamw(learningRate: Float, beta1: Float, beta2: Float, epsilon: Float, weightDecay: Float)
    case adagrad(learningRate: Float, learningRateDecay: Float, weightDecay: Float, initialAccumulator: Float, epsilon: Float)
    case rmsprop(learningRate: Float, alpha: Float, epsilon: Float, weightDecay: Float, momentum: Float, centered: Bool)

    /// PyTorch's defaults for `kind` besides the learning rate: what a checkpoint written
    /// before configurations were stored (it names only the kind and the rate) resumes with.
    public static func defaults(_ kind: OptimizerKind, learningRate: Float) -> OptimizerConfiguration {
        kind.make(learningRate: learningRate).configuration
    }

    public var kind: OptimizerKind {
        switch self {
        case .sgd: return .sgd
        case .adam: return .adam
        case .adamw: return .adamw
        case .adagrad: return .adagrad
        case .rmsprop: return .rmsprop
        }
    }

    /// The learning rate (the one of the next step, for a captured optimizer).
    public var learningRate: Float {
        get {
            switch self {
            case .sgd(let lr, _, _, _, _), .adam(let lr, _, _, _, _), .adamw(let lr, _, _, _, _),
                .adagrad(let lr, _, _, _, _), .rmsprop(let lr, _, _, _, _, _):
                return lr
            }
        }
        set {
            switch self {
            case .sgd(_, let m, let d, let wd, let n):
                self = .sgd(learningRate: newValue, momentum: m, dampening: d, weightDecay: wd, nesterov: n)
            case .adam(_, let b1, let b2, let e, let wd):
                self = .adam(learningRate: newValue, beta1: b1, beta2: b2, epsilon: e, weightDecay: wd)
            case .adamw(_, let b1, let b2, let e, let wd):
                self = .adamw(learningRate: newValue, beta1: b1, beta2: b2, epsilon: e, weightDecay: wd)
            case .adagrad(_, let d, let wd, let a, let e):
                self = .adagrad(learningRate: newValue, learningRateDecay: d, weightDecay: wd, initialAccumulator: a, epsilon: e)
            case .rmsprop(_, let a, let e, let wd, let m, let c):
                self = .rmsprop(learningRate: newValue, alpha: a, epsilon: e, weightDecay: wd, momentum: m, centered: c)
            }
        }
    }

    /// What is wrong with these values (a hostile or damaged file's), or nil when an
    /// optimizer can be made from them: every value finite and non-negative, Adam's betas
    /// in `[0, 1)` — the optimizers' own preconditions, checked before any is built.
    public var problem: String? {
        let values: [(String, Float)]
        switch self {
        case .sgd(let lr, let m, let d, let wd, _):
            values = [("learning rate", lr), ("momentum", m), ("dampening", d), ("weight decay", wd)]
        case .adam(let lr, let b1, let b2, let e, let wd), .adamw(let lr, let b1, let b2, let e, let wd):
            if !(b1 >= 0 && b1 < 1 && b2 >= 0 && b2 < 1) { return "\(kind.rawValue) betas must be in [0, 1), got (\(b1), \(b2))" }
            values = [("learning rate", lr), ("epsilon", e), ("weight decay", wd)]
        case .adagrad(let lr, let d, let wd, let a, let e):
            values = [
                ("learning rate", lr), ("learning rate decay", d), ("weight decay", wd), ("initial accumulator", a),
                ("epsilon", e),
            ]
        case .rmsprop(let lr, let a, let e, let wd, let m, _):
            values = [("learning rate", lr), ("alpha", a), ("epsilon", e), ("weight decay", wd), ("momentum", m)]
        }
        for (name, value) in values where !(value.isFinite && value >= 0) {
            return "\(kind.rawValue) \(name) must be finite and non-negative, got \(value)"
        }
        return nil
    }

    /// A new optimizer (no moments, step count 0) with these settings.
    /// - Throws: `OptimizerConfigurationError` with `problem` when the values are invalid.
    public func makeOptimizer() throws(OptimizerConfigurationError) -> Optimizer {
        if let problem { throw OptimizerConfigurationError(reason: problem) }
        switch self {
        case .sgd(let lr, let m, let d, let wd, let n):
            return SGD(learningRate: lr, momentum: m, dampening: d, weightDecay: wd, nesterov: n)
        case .adam(let lr, let b1, let b2, let e, let wd):
            return Adam(learningRate: lr, beta1: b1, beta2: b2, epsilon: e, weightDecay: wd)
        case .adamw(let lr, let b1, let b2, let e, let wd):
            return AdamW(learningRate: lr, beta1: b1, beta2: b2, epsilon: e, weightDecay: wd)
        case .adagrad(let lr, let d, let wd, let a, let e):
            return Adagrad(learningRate: lr, learningRateDecay: d, weightDecay: wd, initialAccumulator: a, epsilon: e)
        case .rmsprop(let lr, let a, let e, let wd, let m, let c):
            return RMSprop(learningRate: lr, alpha: a, epsilon: e, weightDecay: wd, momentum: m, centered: c)
        }
    }
}

/// Hyperparameters no optimizer can be made from (`OptimizerConfiguration.problem`).
public struct OptimizerConfigurationError: Error, Equatable, CustomStringConvertible {
    public let reason: String
    public var description: String { reason }
}
