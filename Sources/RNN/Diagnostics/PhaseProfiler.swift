/// Accumulates wall-clock time per phase of a training step, for the benchmark's
/// breakdown. Layers time their phases only when a profiler is attached (the
/// `profiler` property of the recurrent stacks and models), so normal runs pay nothing.
///
/// ```swift
/// let profiler = PhaseProfiler()
/// model.profiler = profiler
/// ... train ...
/// profiler.seconds[.forwardRecurrence]
/// ```
public final class PhaseProfiler {
    /// The phases of one training step.
    public enum Phase: String, CaseIterable, Sendable {
        /// `X W_ihᵀ + b` for all steps (a gather for tokens).
        case inputProjection = "input projection"
        /// The per-step `h_{t-1} W_hhᵀ` GEMMs.
        case forwardRecurrence = "forward recurrence"
        /// Output layer GEMM, fused softmax cross-entropy and the output layer's backward.
        case outputAndLoss = "output layer + loss"
        /// The per-step `dA_t W_hh` GEMMs.
        case backwardRecurrence = "backward recurrence"
        /// `dW_hh`, `dW_ih`, bias sums and `dX` over all steps.
        case weightGradients = "weight gradients"
        /// Activations and their derivatives.
        case elementwise = "elementwise"
        /// Clipping and the optimizer update.
        case optimizer = "optimizer"
    }

    /// Seconds spent per phase since creation or `reset()`.
    public private(set) var seconds: [Phase: Double] = [:]
    private let clock = ContinuousClock()

    public init() {}

    public func reset() { seconds = [:] }

    /// Runs `body`, adding its duration to `phase`.
    @inline(__always)
    public func measure<R>(_ phase: Phase, _ body: () throws -> R) rethrows -> R {
        let start = clock.now
        let r = try body()
        let d = clock.now - start
        seconds[phase, default: 0] += d.seconds
        return r
    }
}

extension Optional where Wrapped == PhaseProfiler {
    /// Times `body` under `phase` when a profiler is attached; otherwise just runs it.
    @inline(__always)
    package func measure<R>(_ phase: PhaseProfiler.Phase, _ body: () throws -> R) rethrows -> R {
        switch self {
        case .some(let p): return try p.measure(phase, body)
        case .none: return try body()
        }
    }
}
