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
    /// The kind and every hyperparameter (the learning rate of the next step included):
    /// `configuration.makeOptimizer()` makes one with the same settings.
    var configuration: OptimizerConfiguration { get }
    /// The weight decay: an L2 term added to the gradient (SGD, Adam, Adagrad, RMSprop, as
    /// PyTorch's), or AdamW's decoupled shrinking of the parameters.
    var weightDecay: Float { get set }
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

/// One moment buffer of an optimizer (PyTorch's state name, e.g. `exp_avg`), in the
/// parameter buffer's layout; empty until the first step that uses it.
final class Moment {
    let name: String
    var values: [Float] = []

    init(_ name: String) { self.name = name }

    /// Sizes the buffer to `count` values of `initial`, unless it already has `count`.
    func prepare(count: Int, initial: Float = 0) {
        if values.count != count { values = [Float](repeating: initial, count: count) }
    }
}

/// An optimizer's moments, the one state pattern of all four optimizers: each declares its
/// `Moment`s, steps on their `values`, and reads and restores its state through this.
struct Moments {
    let all: [Moment]

    init(_ all: Moment...) { self.all = all }

    /// The buffers used so far, by name (`Optimizer.stateBuffers`).
    var state: [String: [Float]] {
        Dictionary(uniqueKeysWithValues: all.filter { !$0.values.isEmpty }.map { ($0.name, $0.values) })
    }

    /// Restores `state`: every `active` moment's buffer must be in it (unless `state` is
    /// empty: a fresh start), all of one size; the others are emptied.
    func restore(_ state: [String: [Float]], active: [Moment]) throws {
        var size: Int?
        for moment in active {
            guard let values = state[moment.name] else {
                if state.isEmpty { continue }
                throw OptimizerStateError.missingBuffer(moment.name)
            }
            if let size, values.count != size { throw OptimizerStateError.wrongSize(moment.name, expected: size, got: values.count) }
            size = values.count
        }
        for moment in all { moment.values = active.contains { $0 === moment } ? state[moment.name] ?? [] : [] }
    }
}

/// The optimizers, by the names checkpoints and the command line use: the one list of them.
public enum OptimizerKind: String, CaseIterable, Codable, Sendable {
    case adam, adamw, sgd, adagrad, rmsprop

    /// The largest step count an optimizer restores, and a checkpoint's largest step or
    /// epoch count: 2⁵³, far past any run (a billion steps a second for a hundred days),
    /// and leaving room to count on without overflow.
    public static let maximumStepCount = 1 << 53

    /// A new optimizer of this kind with PyTorch's defaults besides the learning rate.
    public func make(learningRate: Float) -> Optimizer {
        switch self {
        case .sgd: return SGD(learningRate: learningRate)
        case .adam: return Adam(learningRate: learningRate)
        case .adamw: return AdamW(learningRate: learningRate)
        case .adagrad: return Adagrad(learningRate: learningRate)
        case .rmsprop: return RMSprop(learningRate: learningRate)
        }
    }
}

/// Builds an optimizer by name with PyTorch's defaults for everything but the
/// learning rate: `sgd`, `adam`, `adamw`, `adagrad`, `rmsprop` (`OptimizerKind`); nil for others.
package func makeOptimizer(named name: String, learningRate: Float) -> Optimizer? {
    OptimizerKind(rawValue: name)?.make(learningRate: learningRate)
}
