import Foundation
import Linalg
import RNN
import RNNDistributed
import RNNTraining

/// `mpirun -np N bench --distributed`: the scaling of data-parallel training over MPI.
///
/// For each configuration, with one GEMM thread per process:
/// 1. rank 0 alone (the other ranks asleep in a non-blocking barrier, off the cores)
///    trains the whole batch in one process with 1 worker thread, then with N workers
///    (the in-process batch split, `DataParallelModel`);
/// 2. all N ranks train it together, each its share of the streams with 1 thread, the
///    gradients summed by `GradientAllReduce` after every step;
/// 3. the bare all-reduce of the gradient buffer is timed alone (20 calls).
///
/// Each phase trains `epochs` whole epochs after one untimed step; tokens/s use the median
/// epoch. Scaling efficiency = tokens/s of N ranks / (N × tokens/s of 1 process × 1
/// thread). The "exchange" share is the time the ranks spent in the all-reduces (waiting
/// for the slower rank included) over the step time.
struct DistributedBench {
    let configurations: [BenchConfiguration]
    let epochs: Int
    let seed: UInt64

    struct Row {
        var config: BenchConfiguration
        var parameters: Int
        var single: Double, split: Double, distributed: Double
        var stepSeconds: Double, exchangeShare: Double, allReduceSeconds: Double
        /// The largest share of the processors other processes used during a phase.
        var others: Double?
    }

    func run() throws {
        let world: Communicator
        do { world = try Communicator.world(collectiveTimeout: 600) } catch {
            Log.error("error: bench --distributed: \(error)")
            Foundation.exit(1)
        }
        ComputeThreads.count = 1
        let N = world.size
        var rows: [Row] = []
        for config in configurations {
            guard config.batch >= N else {
                if world.isRoot { Log.error("skipping \(config.label): B \(config.batch) is fewer streams than the \(N) ranks") }
                continue
            }
            var single = 0.0, split = 0.0
            var others: [Double?] = []
            if world.isRoot {
                let start = Machine.CPUSnapshot.now()
                single = try tokensPerSecond(config, workers: 1, world: nil)
                others.append(start.flatMap { s in Machine.CPUSnapshot.now()?.othersShare(since: s) })
                let middle = Machine.CPUSnapshot.now()
                split = try tokensPerSecond(config, workers: N, world: nil)
                others.append(middle.flatMap { s in Machine.CPUSnapshot.now()?.othersShare(since: s) })
            }
            try world.sleepingBarrier()
            var exchange = 0.0, step = 0.0
            let start = Machine.CPUSnapshot.now()
            let distributed = try tokensPerSecond(config, workers: 1, world: world, exchange: &exchange, step: &step)
            if let start, let end = Machine.CPUSnapshot.now() {
                // Other processes: the machine's busy time minus every rank's own.
                var own = [end.ownSeconds - start.ownSeconds]
                try world.allReduceSum(&own)
                let wall = (end.wall - start.wall).seconds
                let busy = end.machineBusySeconds - start.machineBusySeconds
                if wall >= 1 { others.append(min(1, max(0, (busy - own[0]) / (wall * Double(Machine.processors))))) }
            }
            let allReduce = try bareAllReduce(config, world: world)
            if world.isRoot {
                rows.append(
                    Row(
                        config: config, parameters: config.model.parameterCount, single: single, split: split,
                        distributed: distributed, stepSeconds: step, exchangeShare: exchange, allReduceSeconds: allReduce,
                        others: others.compactMap { $0 }.max()))
            }
        }
        if world.isRoot { print(report(rows, ranks: N)) }
        world.finish()
    }

    /// Median-epoch tokens/s of `config` on `workers` threads, in one process (`world`
    /// nil) or as this rank's share of all ranks'. `exchange`: the all-reduces' share of
    /// the time; `step`: seconds per step (median epoch).
    private func tokensPerSecond(_ config: BenchConfiguration, workers: Int, world: Communicator?) throws -> Double {
        var exchange = 0.0, step = 0.0
        return try tokensPerSecond(config, workers: workers, world: world, exchange: &exchange, step: &step)
    }

    private func tokensPerSecond(
        _ config: BenchConfiguration, workers: Int, world: Communicator?,
        exchange: inout Double, step: inout Double
    ) throws -> Double {
        var rng = SeededRandom(seed: seed)
        let model = ManyToManyModel(config.model, using: &rng)
        try model.setPrecision(config.precision)
        let trainer = Trainer(
            model: model, optimizer: Adam(learningRate: config.learningRate), workers: workers,
            clipNorm: config.clipNorm)
        let batches = TrainingBatches.make(for: config, seed: seed &+ 1)
        let share = RankShare(rank: world?.rank ?? 0, ranks: world?.size ?? 1, batchSize: config.batch)
        let source = RankBatchSource(batches, share: share, stateBlocks: model.stateBlocks)
        let reducer = world.map { GradientAllReduce($0) }
        trainer.gradientReducer = reducer
        try trainer.train(on: source, for: .steps(1))  // untimed: workspaces, JIT kernels
        trainer.position = TrainingPosition()
        try world?.barrier()
        var seconds: [Double] = [], exchanged: [Double] = []
        let clock = ContinuousClock()
        for e in 0..<epochs {
            let before = reducer?.seconds ?? 0
            let started = clock.now
            try trainer.train(on: source, for: .epochs(e + 1))
            let d = clock.now - started
            seconds.append(Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18)
            exchanged.append((reducer?.seconds ?? 0) - before)
        }
        let order = seconds.indices.sorted { seconds[$0] < seconds[$1] }
        let median = order[order.count / 2]
        exchange = exchanged[median] / seconds[median]
        step = seconds[median] / Double(source.batchesPerEpoch)
        return Double(config.tokensPerEpoch) / seconds[median]
    }

    /// Seconds of one in-place all-reduce of the configuration's gradient buffer (median
    /// of 20 after a barrier).
    private func bareAllReduce(_ config: BenchConfiguration, world: Communicator) throws -> Double {
        var buffer = [Float](repeating: 1, count: config.model.parameterCount)
        var times: [Double] = []
        let clock = ContinuousClock()
        for _ in 0..<20 {
            try world.barrier()
            let started = clock.now
            let failure: DistributedError? = buffer.withUnsafeMutableBufferPointer { p in
                do throws(DistributedError) { try world.allReduceSum(p) } catch { return error }
                return nil
            }
            if let failure { throw failure }
            times.append((clock.now - started).seconds)
        }
        return times.median
    }

    private func report(_ rows: [Row], ranks N: Int) -> String {
        var lines = [
            "bench --distributed: \(N) ranks x 1 thread against 1 process x 1 thread and 1 process x \(N) workers",
            "CPU: \(Machine.cpuModel); \(ComputeThreads.processorCount) processors; \(GEMM.backend.displayName) GEMMs\(configurations.first?.precision == .bf16 ? " in bf16" : ""), \(KernelVariant.current.displayName) kernels; \(epochs) epochs each, median",
        ]
        let table = rows.map { r -> [String] in
            let megabytes = Double(4 * r.parameters) / 1e6
            return [
                r.config.label, Report.grouped(Double(r.parameters)), String(format: "%.2f", megabytes),
                Report.grouped(r.single), Report.grouped(r.split), Report.grouped(r.distributed),
                String(format: "%.2fx", r.distributed / r.single), String(format: "%.0f%%", 100 * r.distributed / (Double(N) * r.single)),
                String(format: "%.2fx", r.distributed / r.split),
                String(format: "%.2f", r.stepSeconds * 1e3), String(format: "%.0f%%", 100 * r.exchangeShare),
                String(format: "%.3f", r.allReduceSeconds * 1e3), r.others.map { String(format: "%.0f%%", 100 * $0) } ?? "-",
            ]
        }
        lines.append(
            Report.table(
                [
                    "config", "params", "grad MB", "1x1 tok/s", "1x\(N)w tok/s", "\(N)r tok/s", "vs 1x1",
                    "efficiency", "vs 1x\(N)w", "step ms", "exchange", "allreduce ms", "others",
                ], table))
        lines.append(
            "efficiency = (\(N) ranks' tokens/s) / (\(N) x 1 process x 1 thread); exchange = share of the step in the two all-reduces (waits included); allreduce ms = the bare MPI_Allreduce of the gradient buffer; others = the most of the processors other processes used in a phase (above ~20%: noisy, rerun on a quiet machine)."
        )
        if !BuildConfiguration.isRelease { lines.append(BuildConfiguration.debugWarning) }
        return lines.joined(separator: "\n")
    }
}
