import RNN
import RNNTraining
import Testing

/// Each schedule against hand-computed rates and against PyTorch 2.15.0's schedulers
/// (the sequences below were printed by `torch.optim.lr_scheduler` in this project's venv).
struct LearningRateScheduleTests {
    func perEpoch(_ s: LearningRateSchedule, _ epochs: Int) -> [Double] {
        (0..<epochs).map { s.rate(at: TrainingPosition(step: 0, epoch: $0)) }
    }

    func close(_ a: [Double], _ b: [Double], _ tol: Double = 1e-6) -> Bool {
        a.count == b.count && zip(a, b).allSatisfy { abs($0 - $1) <= tol }
    }

    @Test func constantAndCharRNNDecay() {
        #expect(perEpoch(.init(base: 0.1, kind: .constant), 3) == [0.1, 0.1, 0.1])
        // after 1: every epoch but the first decays (charrnn's --lr-decay alone: base·γ^e).
        #expect(close(perEpoch(.init(base: 1, kind: .decayAfter(epochs: 1, factor: 0.5)), 4), [1, 0.5, 0.25, 0.125]))
        // char-rnn's -learning_rate_decay_after 3: epochs 0, 1, 2 at the base, then ×γ each.
        #expect(close(perEpoch(.init(base: 1, kind: .decayAfter(epochs: 3, factor: 0.5)), 6), [1, 1, 1, 0.5, 0.25, 0.125]))
    }

    @Test func stepLR() {
        // torch.optim.lr_scheduler.StepLR(step_size=3, gamma=0.5), lr 1, stepped per epoch.
        #expect(close(perEpoch(.init(base: 1, kind: .decayEvery(epochs: 3, factor: 0.5)), 8), [1, 1, 1, 0.5, 0.5, 0.5, 0.25, 0.25]))
    }

    @Test func cosineWithWarmup() {
        // No warmup: CosineAnnealingLR(T_max=10, eta_min=0.01), lr 1, stepped per step.
        let cosine = LearningRateSchedule(base: 1, kind: .cosine(warmupSteps: 0, totalSteps: 10, minimum: 0.01))
        let rates = (0...10).map { cosine.rate(at: TrainingPosition(step: $0)) }
        #expect(close(rates, [1.0, 0.975773, 0.9054634, 0.7959537, 0.6579634, 0.505, 0.3520366, 0.2140463, 0.1045366, 0.034227, 0.01]))
        #expect(cosine.rate(at: TrainingPosition(step: 50)) == 0.01)  // held at the minimum afterwards
        // Warmup of 4 steps: 0.25, 0.5, 0.75, 1, then the cosine over the remaining 10.
        let warm = LearningRateSchedule(base: 1, kind: .cosine(warmupSteps: 4, totalSteps: 14, minimum: 0.01))
        #expect(close((0..<6).map { warm.rate(at: TrainingPosition(step: $0)) }, [0.25, 0.5, 0.75, 1.0, 1.0, 0.975773]))
    }

    @Test func reduceOnPlateau() {
        // ReduceLROnPlateau(mode="min", factor=0.5, patience=1, threshold=1e-4, min_lr=0.1), lr 1.
        var s = LearningRateSchedule(base: 1, kind: .plateau(factor: 0.5, patience: 1, minimum: 0.1))
        let losses = [3.0, 2.5, 2.5, 2.4999, 2.6, 2.0, 2.1, 2.2, 2.3, 2.4, 2.5, 2.6]
        var rates: [Double] = []
        for loss in losses {
            s.epochEnded(validationLoss: loss)
            rates.append(s.rate(at: TrainingPosition()))
        }
        #expect(rates == [1.0, 1.0, 1.0, 0.5, 0.5, 0.5, 0.5, 0.25, 0.25, 0.125, 0.125, 0.1])
        // The state restores exactly.
        var copy = LearningRateSchedule(base: 1, kind: .plateau(factor: 0.5, patience: 1, minimum: 0.1))
        copy.restore(best: s.state.best, badEpochs: s.state.badEpochs, rate: s.state.rate)
        #expect(copy == s)
        s.epochEnded(validationLoss: 2.7); copy.epochEnded(validationLoss: 2.7)
        #expect(copy == s)
    }
}
