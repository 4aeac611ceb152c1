import Linalg

/// An optimizer over the single parameter buffer of a `ParameterStore`: one pass per
/// step over values, gradients and its moment buffers (all of the same layout).
///
/// Its state (moment buffers and step count) can be read and restored, so a
/// checkpoint resumes training exactly.
public protocol Optimizer: AnyObject {
    /// The step size; schedulers (e.g. per-epoch decay) change it between steps.
    var learningRate: Float { get set }
    /// Number of `step` calls so far.
    var stepCount: Int { get }
    /// A short name (`adam`, `sgd`, ...).
    var name: String { get }
    /// Updates `parameters.values` from `parameters.gradients`.
    func step(_ parameters: ParameterStore)
    /// Named state buffers, each the size of the parameter buffer.
    var stateBuffers: [String: [Float]] { get }
    /// Restores what `stateBuffers` and `stepCount` returned; a `stepCount` outside
    /// `0...maximumStepCount` throws `OptimizerStateError.stepCountOutOfRange`.
    func restore(stateBuffers: [String: [Float]], stepCount: Int) throws
}

extension Optimizer {
    /// The largest step count an optimizer restores (2⁵³): counting on from it cannot
    /// overflow in any reachable run.
    public static var maximumStepCount: Int { OptimizerKind.maximumStepCount }

    /// `stepCount` if it is within `0...maximumStepCount`.
    static func checkedStepCount(_ stepCount: Int) throws -> Int {
        guard stepCount >= 0 && stepCount <= maximumStepCount else { throw OptimizerStateError.stepCountOutOfRange(stepCount) }
        return stepCount
    }
}

/// Errors restoring optimizer state.
public enum OptimizerStateError: Error, CustomStringConvertible, Equatable {
    case missingBuffer(String)
    case wrongSize(String, expected: Int, got: Int)
    case stepCountOutOfRange(Int)

    public var description: String {
        switch self {
        case .missingBuffer(let n): return "optimizer state buffer '\(n)' is missing"
        case .wrongSize(let n, let e, let g): return "optimizer state buffer '\(n)' has \(g) values, expected \(e)"
        case .stepCountOutOfRange(let n): return "optimizer step count \(n) is outside 0...\(OptimizerKind.maximumStepCount)"
        }
    }
}

/// Shared storage of named moment buffers, created lazily at the first step.
final class MomentBuffers {
    var buffers: [String: [Float]] = [:]

    func prepare(_ names: [String], count: Int) {
        for n in names where buffers[n]?.count != count {
            buffers[n] = [Float](repeating: 0, count: count)
        }
    }

    func restore(_ state: [String: [Float]], names: [String], count: Int?) throws {
        var new: [String: [Float]] = [:]
        for n in names {
            guard let b = state[n] else {
                if state.isEmpty { continue }
                throw OptimizerStateError.missingBuffer(n)
            }
            if let count, b.count != count { throw OptimizerStateError.wrongSize(n, expected: count, got: b.count) }
            new[n] = b
        }
        buffers = new
    }
}

/// The optimizers, by the names checkpoints and the command line use: the one list of them.
public enum OptimizerKind: String, CaseIterable, Sendable {
    case adam, sgd, adagrad, rmsprop

    /// The largest step count an optimizer restores, and a checkpoint's largest step or
    /// epoch count: 2⁵³, far past any run (a billion steps a second for a hundred days),
    /// and leaving room to count on without overflow.
    public static let maximumStepCount = 1 << 53

    /// A new optimizer of this kind with PyTorch's defaults besides the learning rate.
    public func make(learningRate: Float) -> Optimizer {
        switch self {
        case .sgd: return SGD(learningRate: learningRate)
        case .adam: return Adam(learningRate: learningRate)
        case .adagrad: return Adagrad(learningRate: learningRate)
        case .rmsprop: return RMSprop(learningRate: learningRate)
        }
    }
}

/// Builds an optimizer by name with PyTorch's defaults for everything but the
/// learning rate: `sgd`, `adam`, `adagrad`, `rmsprop` (`OptimizerKind`); nil for others.
public func makeOptimizer(named name: String, learningRate: Float) -> Optimizer? {
    OptimizerKind(rawValue: name)?.make(learningRate: learningRate)
}
