import CBLAS
import CDNNL
import Foundation
import Synchronization
import _RNNKernels

/// A fixed team of threads, the package's one pool of workers: the calling thread (rank 0)
/// and `size - 1` helpers run `body(rank)` together, and meet at `barrier()` inside it.
/// Inference splits each time step across a team (work of a few microseconds, finer than a
/// semaphore's round trip allows); training's batch split (`DataParallelModel`) runs one
/// replica's whole step per rank on one.
///
/// ```swift
/// let team = WorkerTeam(size: 2)
/// team.run { rank in
///     for t in 0..<T {
///         computeMyColumns(of: t, rank)   // reads step t - 1 of every rank
///         team.barrier()                  // step t complete everywhere
///     }
/// }
/// ```
///
/// Between runs the helpers spin (the x86 `pause`) for a millisecond, so that runs
/// that follow each other — a sampler's every token — start in well under a microsecond;
/// then they sleep on a semaphore until the next run. Barriers spin, yielding the core
/// after a while, so an oversubscribed machine slows down rather than stalls.
///
/// Inside a run every rank's GEMMs are single-threaded (oneDNN's count for the thread is
/// 1, and OpenBLAS's process-wide count is set to 1 before the helpers start, as
/// `ComputeThreads.singleThreaded` does), so the team and a library's thread pool never
/// compete for the cores. OpenBLAS's count stays 1 after the run: set `ComputeThreads.count`
/// again before multi-threaded GEMMs outside the team.
/// Not reentrant: one `run` at a time, from one thread.
public final class WorkerTeam: @unchecked Sendable {
    /// The number of threads of a run, the calling thread included.
    public let size: Int
    private let shared: Shared

    /// What the helper threads hold (not the team, so that the team can be freed while
    /// they wait).
    private final class Shared: @unchecked Sendable {
        let size: Int
        /// Bumped to start a run (and once more to stop).
        let generation = Atomic<Int>(0)
        /// Helpers done with the current run.
        let finished = Atomic<Int>(0)
        /// The barrier: ranks arrived at the current one, and how many have completed.
        let arrived = Atomic<Int>(0)
        let barriers = Atomic<Int>(0)
        let stopping = Atomic<Bool>(false)
        /// The current run's body (set before `generation` moves, read after).
        var body: ((Int) -> Void)?
        let helpers: [Helper]
        let exited = DispatchSemaphore(value: 0)

        init(size: Int) {
            self.size = size
            helpers = (1..<size).map { _ in Helper() }
        }

        func helperLoop(_ rank: Int) {
            omp_set_num_threads(1)  // this thread's GEMMs (oneDNN) stay single-threaded
            let me = helpers[rank - 1]
            var seen = 0
            let clock = ContinuousClock()
            while true {
                var spins = 0
                var deadline = clock.now + WorkerTeam.idleSpin
                while generation.load(ordering: .acquiring) == seen {
                    spins += 1
                    if spins & 255 != 0 || clock.now < deadline { srnn_spin_pause(); continue }
                    // Sleep: announce it, then look once more, so that a run started in
                    // between is not missed (the runner wakes only a helper it sees asleep).
                    me.state.store(Helper.asleep, ordering: .sequentiallyConsistent)
                    if generation.load(ordering: .sequentiallyConsistent) != seen
                        && me.state.compareExchange(
                            expected: Helper.asleep, desired: Helper.awake,
                            ordering: .sequentiallyConsistent
                        ).exchanged
                    {
                        break  // woke itself
                    }
                    me.wake.wait()  // the runner set it awake and signals
                    deadline = clock.now + WorkerTeam.idleSpin
                }
                seen = generation.load(ordering: .acquiring)
                if stopping.load(ordering: .acquiring) { break }
                body!(rank)
                finished.add(1, ordering: .releasing)
            }
            exited.signal()
        }

        /// Wakes the helpers that sleep (the others see `generation` move on their own).
        func wakeSleepers() {
            for helper in helpers
            where helper.state.compareExchange(
                expected: Helper.asleep, desired: Helper.awake,
                ordering: .sequentiallyConsistent
            ).exchanged {
                helper.wake.signal()
            }
        }
    }

    private final class Helper: @unchecked Sendable {
        static let awake = 0, asleep = 1
        let state = Atomic<Int>(Helper.awake)
        let wake = DispatchSemaphore(value: 0)
    }

    /// How long an idle helper spins before it sleeps.
    static let idleSpin = Duration.milliseconds(1)
    /// Spins at a barrier before each further try yields the core.
    static let barrierSpins = 4_000

    /// Starts `size - 1` helper threads (`size` ≥ 1; 1 runs everything on the caller).
    public init(size: Int) {
        precondition(size >= 1, "a WorkerTeam needs at least one thread, got \(size)")
        self.size = size
        let shared = Shared(size: size)
        self.shared = shared
        for rank in 1..<size {
            let thread = Thread { shared.helperLoop(rank) }
            thread.stackSize = 8 << 20
            thread.name = "swift-rnn team \(rank)"
            thread.start()
        }
    }

    /// Stops the helpers and waits until each has left its loop.
    deinit {
        shared.stopping.store(true, ordering: .releasing)
        shared.generation.add(1, ordering: .sequentiallyConsistent)
        shared.wakeSleepers()
        for _ in 1..<size { shared.exited.wait() }
    }

    /// Runs `body(0)` on this thread and `body(r)` on helper `r` for every `r` in
    /// `1..<size`, and returns when all are done. Each rank's GEMMs are single-threaded.
    /// - Complexity: besides `body`, O(size) atomic operations (and a semaphore signal
    ///   per helper that had gone to sleep), and one 32-byte allocation: the box in which
    ///   `withoutActuallyEscaping` hands `body` to the helpers.
    public func run(_ body: (Int) -> Void) {
        if size == 1 { return ComputeThreads.singleThreaded { body(0) } }
        // One thread per rank from the start: OpenBLAS's count is process-wide, so it is set
        // before the helpers run (and stays so, as `ComputeThreads.singleThreaded` leaves it).
        if openblas_get_num_threads() != 1 { openblas_set_num_threads(1) }
        withoutActuallyEscaping(body) { body in
            shared.body = body
            shared.finished.store(0, ordering: .relaxed)
            shared.generation.add(1, ordering: .sequentiallyConsistent)
            shared.wakeSleepers()
            ComputeThreads.singleThreaded { body(0) }
            var spins = 0
            while shared.finished.load(ordering: .acquiring) < size - 1 { Self.spin(&spins) }
            shared.body = nil
        }
    }

    /// Waits until every rank of the current run has called it (the writes before it, on
    /// every rank, are then visible to all). Call it from inside `run`, the same number of
    /// times on every rank.
    public func barrier() {
        if size == 1 { return }
        let completed = shared.barriers.load(ordering: .acquiring)
        if shared.arrived.add(1, ordering: .acquiringAndReleasing).newValue == size {
            shared.arrived.store(0, ordering: .relaxed)
            shared.barriers.add(1, ordering: .releasing)
            return
        }
        var spins = 0
        while shared.barriers.load(ordering: .acquiring) == completed { Self.spin(&spins) }
    }

    /// Rank `rank`'s share of `0..<count`: consecutive ranges, in order, with their bounds
    /// at multiples of `granule` (but the last), as even as that allows; a rank may get
    /// an empty one when `count` is small.
    public func share(of count: Int, rank: Int, granule: Int = 1) -> Range<Int> {
        let units = (count + granule - 1) / granule
        func bound(_ r: Int) -> Int { min(count, (units * r / size) * granule) }
        return bound(rank)..<(rank == size - 1 ? count : bound(rank + 1))
    }

    private static func spin(_ spins: inout Int) {
        spins += 1
        if spins < barrierSpins { srnn_spin_pause() } else { sched_yield() }
    }
}
