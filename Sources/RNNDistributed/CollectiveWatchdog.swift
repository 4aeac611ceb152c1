import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// Bounds how long a rank waits inside one MPI collective, so that a run never hangs.
///
/// When a rank dies, `mpirun` notices and stops the others (SIGTERM, then SIGKILL after
/// `odls_base_sigkill_timeout`, 1 s by default); a peer that hangs, or a lost machine
/// whose launcher daemon cannot report, is caught here instead: one thread checks every
/// 50 ms whether the running collective has waited longer than `timeout` seconds, and
/// then writes `error: rank r of N: ...` and ends the process with status 1 (MPI's state
/// is undefined then, so no cleanup is tried). `timeout` must exceed the longest honest
/// wait: the slowest rank's step, plus a checkpoint write on rank 0.
///
/// - Complexity: one uncontended lock and two atomic stores per collective.
public final class CollectiveWatchdog: @unchecked Sendable {
    public let rank: Int
    public let ranks: Int
    /// Seconds a collective may wait.
    public let timeout: Double
    /// `ContinuousClock` nanoseconds when the running collective started; 0: none runs.
    private let started = Atomic<Int64>(0)
    private let callName = Mutex<String>("")
    private let origin = ContinuousClock.now

    init(rank: Int, ranks: Int, timeout: Double) {
        self.rank = rank
        self.ranks = ranks
        self.timeout = timeout
        let thread = Thread { [self] in self.loop() }
        thread.name = "swift-rnn MPI watchdog"
        thread.stackSize = 1 << 20
        thread.start()
    }

    private func nanosecondsNow() -> Int64 {
        let d = ContinuousClock.now - origin
        return d.components.seconds * 1_000_000_000 + d.components.attoseconds / 1_000_000_000 + 1
    }

    /// Runs `body` (one MPI call) under the watch.
    func watch<R>(_ name: String, _ body: () -> R) -> R {
        callName.withLock { $0 = name }
        started.store(nanosecondsNow(), ordering: .releasing)
        defer { started.store(0, ordering: .releasing) }
        return body()
    }

    private func loop() {
        while true {
            usleep(50_000)
            let since = started.load(ordering: .acquiring)
            guard since > 0 else { continue }
            let waited = Double(nanosecondsNow() - since) / 1e9
            guard waited > timeout else { continue }
            let name = callName.withLock { $0 }
            let message =
                "error: rank \(rank) of \(ranks): \(name) has waited \(String(format: "%.0f", waited)) s for the other ranks (the limit is \(String(format: "%g", timeout)) s); a rank has died or hangs, so this one stops\n"
            var bytes = Array(message.utf8)
            _ = write(STDERR_FILENO, &bytes, bytes.count)
            _exit(1)
        }
    }
}
