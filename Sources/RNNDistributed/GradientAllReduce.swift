import Linalg
import RNN
import RNNTraining

/// The `GradientReducer` of data-parallel training over MPI: each rank has computed the
/// gradient of the mean loss over its own `n_r` counted predictions; this makes every
/// rank's gradient buffer the gradient of the mean over all `n = Σ n_r`,
/// `g = Σ_r (n_r / n) · g_r` — the weighting `DataParallelModel` applies across threads —
/// so N ranks compute one process's whole-batch step up to float rounding.
///
/// Per step, two in-place all-reduces: three doubles `[n_r · loss_r, n_r, stop_r]` (the
/// loss, the counts and the ranks' stop requests, so every rank sees the same stop
/// decision after the same step), then the whole gradient buffer, scaled by `n_r / n`
/// first, in one `MPI_Allreduce` (the parameters are one contiguous `ParameterStore`).
///
/// ```swift
/// let trainer = Trainer(model: model, optimizer: Adam(learningRate: 2e-3), workers: 1, clipNorm: 5)
/// trainer.gradientReducer = GradientAllReduce(world)   // then train on this rank's share
/// ```
/// - Complexity: `O(P)` to scale, plus the all-reduce of `4P` bytes: with a ring,
///   `2(N−1)/N · 4P` bytes sent and received per rank.
public final class GradientAllReduce: GradientReducer {
    public let communicator: Communicator
    /// Asked once per step, before the exchange: whether this rank wants to stop (e.g. it
    /// received SIGTERM/SIGINT).
    public var localStopRequest: () -> Bool = { false }
    /// Whether any rank asked to stop at the last exchange; the same on every rank.
    public private(set) var stopRequested = false
    /// Seconds spent in the exchanges so far (both all-reduces).
    public private(set) var seconds = 0.0
    private var scalars = [Double](repeating: 0, count: 3)

    public init(_ communicator: Communicator) {
        self.communicator = communicator
    }

    public func reduce(_ parameters: ParameterStore, loss: Double, countedTargets: Int) throws(TrainingError)
        -> (loss: Double, countedTargets: Int)
    {
        let clock = ContinuousClock(), started = clock.now
        defer { seconds += (clock.now - started).seconds }
        let n = countedTargets
        scalars[0] = n > 0 ? loss * Double(n) : 0
        scalars[1] = Double(n)
        scalars[2] = localStopRequest() ? 1 : 0
        do {
            try communicator.allReduceSum(&scalars)
        } catch {
            throw .gradientExchange(error.description)
        }
        let total = scalars[1]
        stopRequested = scalars[2] > 0
        let weight = total > 0 ? Float(Double(n) / total) : 0
        let failure: DistributedError? = parameters.gradients.withUnsafeMutableBufferPointer { g in
            if weight != 1 {
                for i in g.indices { g[i] *= weight }
            }
            do throws(DistributedError) { try communicator.allReduceSum(g) } catch { return error }
            return nil
        }
        if let failure { throw .gradientExchange(failure.description) }
        return (total > 0 ? scalars[0] / total : .nan, Int(total))
    }
}

extension Duration {
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) * 1e-18 }
}
