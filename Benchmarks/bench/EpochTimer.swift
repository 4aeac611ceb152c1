import Foundation
import Linalg
import RNN
import RNNTraining

/// The timing loop of one configuration at one thread count.
///
/// Makes the model (seeded), the Adam optimizer and all batches first, warms OpenBLAS
/// up, runs one untimed training step, then times `epochs` whole epochs **without** the
/// phase profiler and finally one extra epoch **with** it (the profiler's clock reads add
/// overhead, so its epoch is only used for the per-phase shares; short epochs are
/// profiled repeatedly until they cover half a second).
///
/// A training step is exactly what `charrnn train` does, through the same `Trainer`:
/// `computeGradients` (zero gradients, forward, fused softmax-CE, backward),
/// `clipGlobalNorm(maxNorm: 5)`, `Adam.step`, then (truncated BPTT) the final state becomes
/// the next chunk's initial state; the batches are `TokenStreams`' cut of the corpus, as
/// charrnn's. The loop allocates nothing, so allocation counts of a run are the library's.
/// The trainer has `workers` threads: with more than one it splits each batch across them
/// (profiled: worker 0's phases), with one the model runs the whole batch itself.
///
/// ```swift
/// let timer = EpochTimer(config: BenchConfiguration.named("ref")!, seed: 0, workers: 1)
/// let m = try timer.measure(epochs: 5, profile: true)
/// m.epochSeconds   // [1.02, 0.99, ...]
/// ```
final class EpochTimer {
    let config: BenchConfiguration
    let model: ManyToManyModel
    /// Trains `model`, each batch split across `workers` threads when that is more than 1.
    let trainer: Trainer<ManyToManyModel>
    let batches: TrainingBatches
    static let minimumProfiledSeconds = 0.5
    /// How long a split run waits, after setting OpenBLAS to one thread, for OpenBLAS's
    /// idle threads to stop spinning.
    static let openBLASSettleSeconds = 1.5

    struct Measurement {
        var epochSeconds: [Double] = []
        /// Mean training loss of each timed epoch.
        var epochLosses: [Double] = []
        /// Number of profiled epochs and their total seconds.
        var profiledEpochs = 0
        var profiledSeconds = 0.0
        var phaseSeconds: [PhaseProfiler.Phase: Double] = [:]
        /// The share of all processors that other processes used while this ran (nil without /proc).
        var othersShare: Double?
    }

    enum Failure: Error, CustomStringConvertible {
        case nonFiniteLoss(config: String, epoch: Int, step: Int, loss: Double)
        case noBatches(config: String)

        var description: String {
            switch self {
            case .nonFiniteLoss(let config, let epoch, let step, let loss):
                return "\(config): loss became \(loss) at epoch \(epoch), step \(step); stopping"
            case .noBatches(let config):
                return "\(config): the corpus is too small to make a single batch"
            }
        }
    }

    init(config: BenchConfiguration, seed: UInt64, workers: Int) throws {
        self.config = config
        var rng = SeededRandom(seed: seed)
        model = ManyToManyModel(config.model, using: &rng)
        try model.setPrecision(config.precision)
        trainer = Trainer(
            model: model, optimizer: Adam(learningRate: config.learningRate), workers: workers,
            clipNorm: config.clipNorm)
        batches = TrainingBatches.make(for: config, seed: seed &+ 1)
    }

    /// One epoch from its start; returns its wall-clock seconds and mean loss.
    private func epoch(_ number: Int) throws -> (seconds: Double, loss: Double) {
        let clock = ContinuousClock()
        var lossSum = 0.0
        var failure: TrainingError?
        trainer.position.stepInEpoch = 0
        let goal = TrainingGoal.epochs(trainer.position.epoch + 1)
        let elapsed = clock.measure {
            do {
                try trainer.train(on: batches, for: goal) { event in
                    if case .step(let result) = event { lossSum += result.loss }
                }
            } catch let error as TrainingError {
                failure = error
            } catch {
                preconditionFailure("\(error)")  // the event handler throws nothing else
            }
        }
        if case .nonFinite(let loss, _, _, _)? = failure {
            throw Failure.nonFiniteLoss(config: config.label, epoch: number, step: trainer.position.stepInEpoch, loss: loss)
        }
        return (elapsed.seconds, lossSum / Double(batches.batchesPerEpoch))
    }

    /// Warms up, times `epochs` epochs, then profiles one more if `profile` is set.
    /// `progress` is called after each epoch with its number and seconds.
    func measure(epochs: Int, profile: Bool, progress: (String, Double, Double) -> Void = { _, _, _ in })
        throws -> Measurement
    {
        guard batches.batchesPerEpoch > 0 else { throw Failure.noBatches(config: config.label) }
        let start = Machine.CPUSnapshot.now()
        // A split batch runs single-threaded GEMMs. A library's own threads keep spinning for
        // a while after its last multi-threaded call (the peak sample just before), taking a
        // core from the workers: measured, split rounds 0.3 s after OpenBLAS's 2-thread
        // rounds ran 10-20% slower than 2 s after. Let them go to sleep first.
        if trainer.workerCount > 1 {
            ComputeThreads.count = 1
            Thread.sleep(forTimeInterval: Self.openBLASSettleSeconds)
        }
        ComputeThreads.warmUp()
        // One untimed step: first-touch of every workspace and of the optimizer moments.
        var first = ManyToManyModel.Batch()
        batches.fill(0, epoch: 0, into: &first)
        _ = try? trainer.step(first)
        trainer.position = TrainingPosition()
        var m = Measurement()
        for e in 1...epochs {
            let (seconds, loss) = try epoch(e)
            m.epochSeconds.append(seconds)
            m.epochLosses.append(loss)
            progress("epoch \(e)", seconds, loss)
        }
        if profile {
            // Profile whole epochs until they cover `minimumProfiledSeconds` (one epoch at
            // the larger sizes; many of the tutorial's 2-ms epochs), so the shares are stable.
            let profiler = PhaseProfiler()
            trainer.profiler = profiler
            defer { trainer.profiler = nil }
            var total = 0.0, count = 0
            while count == 0 || (total < Self.minimumProfiledSeconds && count < 10_000) {
                let (seconds, loss) = try epoch(epochs + 1 + count)
                total += seconds
                count += 1
                if count == 1 || total >= Self.minimumProfiledSeconds { progress("profiled epoch", seconds, loss) }
            }
            m.profiledEpochs = count
            m.profiledSeconds = total
            m.phaseSeconds = profiler.seconds
        }
        if let start, let end = Machine.CPUSnapshot.now() { m.othersShare = end.othersShare(since: start) }  // nil under 1 s
        return m
    }
}

extension Array where Element == Double {
    /// The median (the mean of the two middle values for an even count); 0 when empty.
    var median: Double {
        guard !isEmpty else { return 0 }
        let s = sorted()
        return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
    }
}
