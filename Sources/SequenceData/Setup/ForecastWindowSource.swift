import Linalg
import RNN
import RNNTraining

/// A forecaster's batches: the windows at `origins` — for training in a seeded order that
/// changes with the epoch (so a resumed run sees the batches of the uninterrupted one), for
/// evaluation (`shuffled: false`) in order — `batchSize` windows a batch (the last batch
/// of an epoch may be smaller). Each batch is laid out when the trainer asks for it, so
/// the windows are never all in memory at once.
public struct ForecastWindowSource: BatchSource {
    public let windows: ForecastWindows
    public let origins: [Int]
    public let batchSize: Int
    public let seed: UInt64
    public let shuffled: Bool
    let inputs: [[Float]]
    let targets: [[Float]]
    /// The last epoch's order, made once per epoch (the trainer fills batches in turn).
    private let cache = OrderCache()

    private final class OrderCache {
        var epoch = -1
        var order: [Int] = []
    }

    public init(
        windows: ForecastWindows, origins: [Int], inputs: [[Float]], targets: [[Float]], batchSize: Int, seed: UInt64,
        shuffled: Bool = true
    ) {
        precondition(!origins.isEmpty && batchSize > 0, "a batch source needs windows and a batch size")
        self.windows = windows
        self.origins = origins
        self.inputs = inputs
        self.targets = targets
        self.batchSize = batchSize
        self.seed = seed
        self.shuffled = shuffled
    }

    public var batchesPerEpoch: Int { (origins.count + batchSize - 1) / batchSize }
    public var continuesSequences: Bool { false }

    /// The origins in epoch `epoch`'s order (a Fisher–Yates shuffle seeded by seed and epoch).
    func order(epoch: Int) -> [Int] {
        var rng = SeededRandom(seed: seed &+ UInt64(epoch) &* 0x9E37_79B9_7F4A_7C15)
        var order = origins
        for i in stride(from: order.count - 1, to: 0, by: -1) { order.swapAt(i, rng.index(below: i + 1)) }
        return order
    }

    public func fill(_ index: Int, epoch: Int, into batch: inout ForecastModel.Batch) {
        if shuffled && cache.epoch != epoch { (cache.epoch, cache.order) = (epoch, order(epoch: epoch)) }
        let order = shuffled ? cache.order : origins
        let chosen = Array(order[(index * batchSize)..<min((index + 1) * batchSize, order.count)])
        batch = windows.batch(origins: chosen, inputs: inputs, targets: targets)
    }
}
