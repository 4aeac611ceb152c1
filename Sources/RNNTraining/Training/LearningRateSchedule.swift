import Foundation

/// How the learning rate moves during training, PyTorch's and char-rnn's/torch-rnn's rules.
/// A schedule gives the rate of the next step from the trainer's position
/// (`Trainer.learningRateSchedule = { schedule.rate(at: $0) }`); `plateau` also learns from
/// each epoch's validation loss (`epochEnded(validationLoss:)`), and its state goes into
/// checkpoints (`state`, `restore`) so that a resumed run continues exactly.
///
/// ```swift
/// var schedule = LearningRateSchedule(base: 2e-3, kind: .cosine(warmupSteps: 100, totalSteps: 5_000, minimum: 1e-5))
/// schedule.rate(at: TrainingPosition(step: 50))   // 1.02e-3: half-way through the warmup
/// ```
public struct LearningRateSchedule: Codable, Equatable, Sendable {
    public enum Kind: Codable, Equatable, Sendable {
        /// The base rate throughout.
        case constant
        /// char-rnn's decay: the first `after` epochs at the base rate, then ×`factor` per
        /// epoch — epoch `e` (0-based) uses `base·factor^max(0, e − after + 1)`; `after` 1
        /// decays from the second epoch on (charrnn's `--lr-decay` alone).
        case decayAfter(epochs: Int, factor: Double)
        /// torch-rnn's decay, PyTorch's `StepLR(step_size: every, gamma: factor)` stepped per
        /// epoch: epoch `e` uses `base·factor^⌊e / every⌋`.
        case decayEvery(epochs: Int, factor: Double)
        /// Linear warmup over `warmupSteps` steps (step `s` uses `base·(s+1)/warmupSteps`), then
        /// PyTorch's `CosineAnnealingLR(T_max: totalSteps − warmupSteps, eta_min: minimum)`
        /// stepped per step, held at `minimum` after `totalSteps`.
        case cosine(warmupSteps: Int, totalSteps: Int, minimum: Double)
        /// PyTorch's `ReduceLROnPlateau(mode: "min", factor:, patience:, threshold: 1e-4,
        /// min_lr: minimum)`: after an epoch whose validation loss is not below the best by the
        /// relative threshold, one more bad epoch; more than `patience` in a row multiply the
        /// rate by `factor` (not below `minimum`) and start the count again.
        case plateau(factor: Double, patience: Int, minimum: Double)
    }

    public let base: Double
    public let kind: Kind
    /// `plateau`: the best validation loss so far, the bad epochs in a row, the rate now.
    public private(set) var best: Double?
    public private(set) var badEpochs = 0
    public private(set) var plateauRate: Double

    public init(base: Double, kind: Kind) {
        self.base = base
        self.kind = kind
        plateauRate = base
    }

    /// The rate of the step at `position`. - Complexity: O(1).
    public func rate(at position: TrainingPosition) -> Double {
        switch kind {
        case .constant:
            return base
        case .decayAfter(let after, let factor):
            return base * pow(factor, Double(max(0, position.epoch - after + 1)))
        case .decayEvery(let every, let factor):
            return base * pow(factor, Double(position.epoch / every))
        case .cosine(let warmup, let total, let minimum):
            let s = position.step
            if s < warmup { return base * Double(s + 1) / Double(warmup) }
            let span = max(1, total - warmup), t = min(s - warmup, span)
            return minimum + (base - minimum) * (1 + cos(Double.pi * Double(t) / Double(span))) / 2
        case .plateau:
            return plateauRate
        }
    }

    /// Takes an epoch's validation loss (`plateau` only; the others ignore it).
    public mutating func epochEnded(validationLoss loss: Double) {
        guard case .plateau(let factor, let patience, let minimum) = kind, loss.isFinite else { return }
        if best.map({ loss < $0 * (1 - 1e-4) }) ?? true {
            best = loss
            badEpochs = 0
        } else {
            badEpochs += 1
        }
        if badEpochs > patience {
            plateauRate = max(plateauRate * factor, minimum)
            badEpochs = 0
        }
    }

    /// What is wrong with this schedule (a damaged or hostile file's), or nil when it is
    /// usable: a finite positive base and factors, counts and minimums non-negative,
    /// a plateau state that a run can reach.
    public var problem: String? {
        func bad(_ what: String, _ value: Any) -> String { "learning-rate schedule \(what) is \(value)" }
        guard base.isFinite && base > 0 else { return bad("base rate", base) }
        switch kind {
        case .constant: break
        case .decayAfter(let epochs, let factor):
            if epochs < 0 { return bad("epoch count", epochs) }
            if !(factor.isFinite && factor > 0) { return bad("decay factor", factor) }
        case .decayEvery(let epochs, let factor):
            if epochs < 1 { return bad("epoch count", epochs) }
            if !(factor.isFinite && factor > 0) { return bad("decay factor", factor) }
        case .cosine(let warmup, let total, let minimum):
            if warmup < 0 || total < 0 { return bad("step count", min(warmup, total)) }
            if !(minimum.isFinite && minimum >= 0) { return bad("minimum", minimum) }
        case .plateau(let factor, let patience, let minimum):
            if !(factor.isFinite && factor > 0) { return bad("plateau factor", factor) }
            if patience < 0 { return bad("plateau patience", patience) }
            if !(minimum.isFinite && minimum >= 0) { return bad("minimum", minimum) }
        }
        if badEpochs < 0 { return bad("count of bad epochs", badEpochs) }
        if !(plateauRate.isFinite && plateauRate > 0) { return bad("plateau rate", plateauRate) }
        if let best, !best.isFinite { return bad("best loss", best) }
        return nil
    }

    /// The plateau state `(best, badEpochs, rate)`, for checkpoints.
    public var state: (best: Double?, badEpochs: Int, rate: Double) { (best, badEpochs, plateauRate) }

    /// Continues from a checkpoint's `state`.
    public mutating func restore(best: Double?, badEpochs: Int, rate: Double) {
        self.best = best
        self.badEpochs = badEpochs
        plateauRate = rate
    }
}
