import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// Set by the SIGINT handler; the training loop checks it after every step.
private let interruptRequested = Atomic<Bool>(false)
/// The first signal that asked a single process's training to stop (0: none yet, or one
/// the distributed handler took).
private let stopSignal = Atomic<Int32>(0)
/// What the handlers say; set by `install` and `stopOnTermination` before a handler can
/// run (a handler only passes them to write(2)).
nonisolated(unsafe) private var interruptMessage: StaticString = ""
nonisolated(unsafe) private var sigtermMessage: StaticString = ""
nonisolated(unsafe) private var sigusr1Message: StaticString = ""
nonisolated(unsafe) private var terminationMessage: StaticString = ""

/// The SIGINT (Ctrl-C) handler: only async-signal-safe work — set the flag, say so with
/// write(2), and restore the default action so a second Ctrl-C quits at once (the
/// checkpoint on disk is still safe: checkpoints are written to a temporary file and
/// renamed into place).
private func handleInterrupt(_ number: Int32) {
    _ = stopSignal.compareExchange(expected: 0, desired: number, ordering: .relaxed)
    interruptRequested.store(true, ordering: .relaxed)
    let message = interruptMessage
    _ = write(STDERR_FILENO, message.utf8Start, message.utf8CodeUnitCount)
    _ = signal(SIGINT, SIG_DFL)
}

/// The SIGTERM/SIGUSR1 handler of a single process's training: what a scheduler sends
/// before it kills a job (SLURM, Kubernetes, systemd; SLURM's `--signal` and some spot
/// reclaim notices send SIGUSR1 as the early warning). Sets the flag and says so once;
/// it stays installed, so a second signal while the checkpoint is saved changes nothing
/// (and a SIGKILL cannot leave a damaged file: a save renames a complete temporary file
/// into place).
private func handleScheduledStop(_ number: Int32) {
    interruptRequested.store(true, ordering: .relaxed)
    guard stopSignal.compareExchange(expected: 0, desired: number, ordering: .relaxed).exchanged else { return }
    let message = number == SIGTERM ? sigtermMessage : sigusr1Message
    _ = write(STDERR_FILENO, message.utf8Start, message.utf8CodeUnitCount)
}

/// Set when SIGTERM (and SIGINT, SIGUSR1) should stop training gracefully, as in a
/// `--distributed` rank: `mpirun` turns Ctrl-C into SIGTERM to every rank (then SIGKILL
/// after its `odls_base_sigkill_timeout`, 1 s by default) and forwards SIGUSR1.
private let stopsOnTermination = Atomic<Bool>(false)
/// Whether this process says so on stderr when it stops (rank 0 only).
private let announcesTermination = Atomic<Bool>(false)

/// The SIGTERM/SIGUSR1 handler of a distributed rank: set the flag (the ranks agree on
/// it at the next gradient exchange), say so once (rank 0).
private func handleTermination(_ number: Int32) {
    interruptRequested.store(true, ordering: .relaxed)
    guard announcesTermination.exchange(false, ordering: .relaxed) else { return }
    let message = terminationMessage
    _ = write(STDERR_FILENO, message.utf8Start, message.utf8CodeUnitCount)
}

/// Graceful Ctrl-C for training: after `install()`, SIGINT (and for training SIGTERM and
/// SIGUSR1) sets `requested` instead of killing the process.
///
/// **Where SIGINT is delivered.** oneDNN's JIT sgemm kernels (Debian's 2.6.3, and upstream
/// until uxlfoundation/oneDNN#4855, 2026; the report is #4845) point `rsp` at a heap
/// workspace while they run,
/// so a signal handled on a thread inside `dnnl_sgemm` writes its frame onto the heap and
/// corrupts it (measured: a Ctrl-C during training aborted with "corrupted size vs.
/// prev_size" in 1–7 of 20 runs). So `prepare()`, first thing in `main`, blocks SIGINT in
/// the main thread — and thereby in every thread it starts later (the batch split's
/// workers, oneDNN's OpenMP threads), which inherit its mask — and starts one thread that
/// does nothing but take the signal. (OpenBLAS's threads, started before `main`, may take it
/// too: they never run oneDNN code.)
package enum InterruptHandler {
    /// Blocks SIGINT in the calling (main) thread and starts the thread that receives it.
    /// Call once, before any other thread is started. Until `install()`, SIGINT keeps its
    /// default action (the process ends).
    package static func prepare() {
        var set = sigset_t()
        sigemptyset(&set)
        sigaddset(&set, SIGINT)
        sigaddset(&set, SIGTERM)  // for --distributed ranks (stopOnTermination); default action otherwise
        sigaddset(&set, SIGUSR1)
        _ = pthread_sigmask(SIG_BLOCK, &set, nil)
        var thread = pthread_t()
        let started = pthread_create(
            &thread, nil,
            { _ in
                // The one thread with SIGINT unblocked (a parent may have started us with it
                // blocked: the mask is inherited). It sleeps; handlers run here.
                var set = sigset_t()
                sigemptyset(&set)
                sigaddset(&set, SIGINT)
                sigaddset(&set, SIGTERM)
                sigaddset(&set, SIGUSR1)
                _ = pthread_sigmask(SIG_UNBLOCK, &set, nil)
                while true { _ = pause() }
            }, nil)
        if started == 0 {
            _ = pthread_detach(thread)
        } else {
            _ = pthread_sigmask(SIG_UNBLOCK, &set, nil)  // no receiver thread: let the main thread take it
        }
    }

    /// Training's handler (the step finishes and the checkpoint is saved); `message` is
    /// what a Ctrl-C prints on stderr. With `stopMessages` (training), SIGTERM and SIGUSR1
    /// stop it the same way, printing those; without, they keep their default action
    /// (sampling simply ends).
    package static func install(
        message: StaticString, stopMessages: (sigterm: StaticString, sigusr1: StaticString)? = nil
    ) {
        interruptMessage = message
        if let stopMessages { (sigtermMessage, sigusr1Message) = stopMessages }
        interruptRequested.store(false, ordering: .relaxed)
        stopSignal.store(0, ordering: .relaxed)
        takesScheduledStops = stopMessages != nil
        _ = signal(SIGINT, handleInterrupt)
        if stopsOnTermination.load(ordering: .relaxed) {
            for number in [SIGINT, SIGTERM, SIGUSR1] { _ = signal(number, handleTermination) }
        } else if stopMessages != nil {
            for number in [SIGTERM, SIGUSR1] { _ = signal(number, handleScheduledStop) }
        }
    }

    /// Whether the installed handler takes SIGTERM and SIGUSR1 in a single process.
    nonisolated(unsafe) private static var takesScheduledStops = false

    /// The signal that asked to stop: SIGINT, SIGTERM or SIGUSR1 (SIGINT when none was
    /// recorded, as for a distributed rank, which `mpirun` stops on Ctrl-C).
    package static var signalNumber: Int32 {
        let number = stopSignal.load(ordering: .relaxed)
        return number == 0 ? SIGINT : number
    }

    /// "Ctrl-C", "SIGTERM" or "SIGUSR1": what stopped the run, for its last note.
    package static var signalName: String {
        switch signalNumber {
        case SIGTERM: return "SIGTERM"
        case SIGUSR1: return "SIGUSR1"
        default: return "Ctrl-C"
        }
    }

    /// From now on `install()` also takes SIGTERM and SIGUSR1 (and SIGINT, quietly) as a
    /// request to stop after a saved checkpoint: a `--distributed` rank. `announce`: say so
    /// on stderr once.
    package static func stopOnTermination(announce: Bool, message: StaticString) {
        terminationMessage = message
        stopsOnTermination.store(true, ordering: .relaxed)
        announcesTermination.store(announce, ordering: .relaxed)
    }

    package static var requested: Bool { interruptRequested.load(ordering: .relaxed) }

    /// Restores the default actions — except, once a scheduler's signal has stopped the
    /// run, SIGTERM's and SIGUSR1's: the process is on its way out with 128 + that signal,
    /// and a repeated signal (schedulers send several) must not end it by the signal
    /// instead.
    package static func uninstall() {
        _ = signal(SIGINT, SIG_DFL)
        let stoppedByScheduler =
            takesScheduledStops && stopSignal.load(ordering: .relaxed) != 0
            && stopSignal.load(ordering: .relaxed) != SIGINT
        if stopsOnTermination.load(ordering: .relaxed) || takesScheduledStops && !stoppedByScheduler {
            _ = signal(SIGTERM, SIG_DFL)
            _ = signal(SIGUSR1, SIG_DFL)
        }
    }
}
