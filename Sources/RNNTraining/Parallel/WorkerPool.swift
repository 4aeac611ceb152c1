import RNN
import Dispatch
import Foundation

/// A fixed set of threads that run `body(w)` for `w` in `0..<active` together, with the
/// calling thread as worker 0: one fork and one join per `run`, no allocation per run.
///
/// The helper threads live as long as the pool and sleep on a semaphore between runs.
/// (`DispatchQueue.concurrentPerform` would do the same job, but libdispatch on Linux
/// creates and retires its worker threads as it sees fit, which costs a thread start and
/// heap allocations on some steps.)
///
/// ```swift
/// let pool = WorkerPool(count: 2) { w in work(slice: w) }
/// pool.run(workers: 2)   // work(slice: 0) here, work(slice: 1) on the helper; returns when both are done
/// ```
final class WorkerPool {
    /// The number of workers, the calling thread included.
    let count: Int
    private let shared: Shared

    /// What the helper threads hold (not the pool itself, so that the pool can be freed
    /// while they wait).
    private final class Shared: @unchecked Sendable {
        let body: @Sendable (Int) -> Void
        /// One per helper thread (workers 1..<count): signalled to start a run.
        let start: [DispatchSemaphore]
        /// Signalled by each helper when its part of a run is done, or when it stops.
        let done = DispatchSemaphore(value: 0)
        /// Set once, before the helpers are woken for the last time.
        var stopping = false

        init(helpers: Int, body: @escaping @Sendable (Int) -> Void) {
            self.body = body
            start = (0..<helpers).map { _ in DispatchSemaphore(value: 0) }
        }

        func helperLoop(_ w: Int) {
            while true {
                start[w - 1].wait()
                if stopping { break }
                body(w)
                done.signal()
            }
            done.signal()
        }
    }

    /// Starts `count - 1` helper threads (8 MiB stacks) that wait for `run(workers:)`.
    init(count: Int, body: @escaping @Sendable (Int) -> Void) {
        precondition(count >= 1, "WorkerPool needs at least one worker, got \(count)")
        self.count = count
        let shared = Shared(helpers: count - 1, body: body)
        self.shared = shared
        for w in 1..<count {
            let thread = Thread { shared.helperLoop(w) }
            thread.stackSize = 8 << 20
            thread.name = "swift-rnn worker \(w)"
            thread.start()
        }
    }

    /// Stops the helpers and waits until each has left its loop.
    deinit {
        shared.stopping = true
        for s in shared.start { s.signal() }
        for _ in 1..<count { shared.done.wait() }
    }

    /// Runs `body(0)` on this thread and `body(w)` on helpers `1..<active`, and returns
    /// when all are done (the other helpers keep sleeping). Not reentrant: one `run` at a time.
    func run(workers active: Int) {
        precondition(active >= 1 && active <= count, "WorkerPool of \(count) asked to run \(active) workers")
        for s in shared.start.prefix(active - 1) { s.signal() }
        shared.body(0)
        for _ in 1..<active { shared.done.wait() }
    }
}
