import Linalg
import RNN
import RNNTraining

/// Thrown from a training event when a signal asked the run to stop.
package struct StopRequested: Error {
    package init() {}
}

/// What a tool writes when a signal asks it to stop (static: a signal handler writes them).
package struct StopNotes: Sendable {
    let interrupt: StaticString
    let sigterm: StaticString
    let sigusr1: StaticString

    package static let series = StopNotes(
        interrupt: "\nseries: Ctrl-C: finishing the current step and saving the checkpoint (press Ctrl-C again to quit at once)\n",
        sigterm: "\nseries: SIGTERM: finishing the current step and saving the checkpoint\n",
        sigusr1: "\nseries: SIGUSR1: finishing the current step and saving the checkpoint\n")
    package static let seq2seq = StopNotes(
        interrupt: "\nseq2seq: Ctrl-C: finishing the current step and saving the checkpoint (press Ctrl-C again to quit at once)\n",
        sigterm: "\nseq2seq: SIGTERM: finishing the current step and saving the checkpoint\n",
        sigusr1: "\nseq2seq: SIGUSR1: finishing the current step and saving the checkpoint\n")
}

/// Trains `trainer` on `source` to `epochs` in all, with Ctrl-C, SIGTERM and SIGUSR1
/// finishing the current step, calling `save` and ending the process with 128 + the
/// signal after saying how to continue (`continueCommand`, e.g. `series train --csv F
/// --resume C --epochs N --checkpoint C`); `onEvent` sees every step and epoch. A
/// non-finite loss is one `error:` line. `tool` names the program in its notes, `notes`
/// are what its signal handler writes. `stopRequested` (default: this process's signal) is
/// asked after every step: N ranks pass their agreed request, so all stop after the same step
/// (and all but rank 0 pass `quiet`: no note).
package func trainStoppably<Model: SequenceModel, Source: BatchSource>(
    _ trainer: Trainer<Model>, on source: Source, epochs: Int, tool: String, notes: StopNotes, continueCommand: String,
    checkpoint: String, stopRequested: (() -> Bool)? = nil, quiet: Bool = false, save: () throws -> Void,
    onEvent: (TrainingEvent) throws -> Void
) throws where Source.Batch == Model.Batch {
    InterruptHandler.install(message: notes.interrupt, stopMessages: (notes.sigterm, notes.sigusr1))
    defer { InterruptHandler.uninstall() }
    do {
        try trainer.train(on: source, for: .epochs(epochs)) { event in
            try onEvent(event)
            if stopRequested?() ?? InterruptHandler.requested { throw StopRequested() }
        }
    } catch is StopRequested {
        try save()
        let p = trainer.position
        if !quiet {
            Console.note(
                "\(tool): stopped by \(InterruptHandler.signalName) at epoch \(p.epoch + 1), step \(p.stepInEpoch) of \(source.batchesPerEpoch); saved \(checkpoint); continue with: \(continueCommand)"
            )
        }
        throw Interrupted(signal: InterruptHandler.signalNumber)
    } catch let error as TrainingError {
        throw CLIError("training stopped: \(error); try a lower --lr")
    }
}

/// The trainer that continues `checkpoint` (read from `path`) on `threads` threads (default:
/// one per core, at most one per sequence of a batch), or an error line when it cannot, or
/// when it has trained `epochs` already. Returns the trainer and its thread count.
package func resumedTrainer<Model: SequenceModel>(
    _ checkpoint: ModelCheckpoint<Model>, path: String, batchSize: Int, threads: Int?, epochs: Int
) throws -> (Trainer<Model>, workers: Int) {
    let workers = max(1, min(threads ?? ComputeThreads.count, batchSize))
    let trainer: Trainer<Model>
    do {
        trainer = try Trainer(resuming: checkpoint, workers: workers)
    } catch {
        throw CLIError("--resume '\(path)': \(error)")
    }
    guard trainer.position.epoch < epochs else {
        throw CLIError("--resume '\(path)' has trained \(trainer.position.epoch) epochs already; give --epochs above that")
    }
    return (trainer, workers)
}
