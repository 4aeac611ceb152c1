import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Set by the SIGINT handler; the training loop checks it after every step.
private let interruptRequested = Atomic<Bool>(false)

/// The SIGINT (Ctrl-C) handler: only async-signal-safe work — set the flag, say so with
/// write(2), and restore the default action so a second Ctrl-C quits at once (the
/// checkpoint on disk is still safe: checkpoints are written to a temporary file and
/// renamed into place).
private func handleInterrupt(_ number: Int32) {
    interruptRequested.store(true, ordering: .relaxed)
    let message: StaticString = "\ncharrnn: Ctrl-C: finishing the current step and saving the checkpoint (press Ctrl-C again to quit at once)\n"
    _ = write(STDERR_FILENO, message.utf8Start, message.utf8CodeUnitCount)
    _ = signal(SIGINT, SIG_DFL)
}

/// Graceful Ctrl-C for training: after `install()`, SIGINT sets `requested` instead of
/// killing the process.
enum InterruptHandler {
    static func install() {
        interruptRequested.store(false, ordering: .relaxed)
        _ = signal(SIGINT, handleInterrupt)
        // A parent may have started us with SIGINT blocked (the mask is inherited); unblock it.
        var set = sigset_t()
        sigemptyset(&set)
        sigaddset(&set, SIGINT)
        _ = pthread_sigmask(SIG_UNBLOCK, &set, nil)
    }

    static var requested: Bool { interruptRequested.load(ordering: .relaxed) }

    static func uninstall() {
        _ = signal(SIGINT, SIG_DFL)
    }
}
