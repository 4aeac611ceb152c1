import Foundation
import RNN
import RNNDistributed
import _ToolSupport

#if canImport(Glibc)
    import Glibc
#endif

/// `charrnn train --data FILE --distributed` under `mpirun -np N`: every rank reads the
/// corpus (and a `--resume` checkpoint) itself from the same path, trains its share of
/// the streams (`SessionCluster`), and only rank 0 prints, locks and writes the checkpoint.
///
/// Ending: a normal end or a stop (Ctrl-C on mpirun, which sends SIGTERM to every rank)
/// finalizes MPI on every rank after the checkpoint is saved. An error every rank meets
/// at setup (bad data, a finished checkpoint) is printed once, by rank 0; an error one rank
/// meets alone, or any error once training runs, is printed by the rank that met it and
/// ends every rank at once (`MPI_Abort`), so none waits for a rank that will not come.
struct DistributedRun {
    let command: CharRNN.Train

    func run() throws {
        guard MPILaunch.isPresent else {
            throw CLIError(
                "--distributed needs an MPI launcher: start it as mpirun -np N charrnn train --data FILE --distributed (no OMPI_COMM_WORLD_SIZE or PMIX_RANK in the environment); without --distributed it trains in this one process"
            )
        }
        let world: Communicator
        do {
            world = try Communicator.world(collectiveTimeout: command.distributedOptions.mpiTimeout ?? 300)
        } catch {
            throw CLIError("--distributed: \(error)")
        }
        if !world.isRoot { silenceStandardOutput() }

        // Setup: every rank builds the same configuration and session; they agree on
        // whether it worked before any rank starts training.
        var session: TrainingSession? = nil
        var lock: CheckpointLock? = nil
        var setupError: Error? = nil
        do {
            var config = try TrainingConfiguration(command)
            if !world.isRoot { config.quiet = true }
            if world.isRoot { lock = try CheckpointLock(for: config.checkpointPath, option: "--checkpoint") }
            session = try TrainingSession(config, cluster: try SessionCluster(world: world, batchSize: config.batchSize))
        } catch {
            setupError = error
        }
        var failed = [setupError == nil ? 0.0 : 1.0]
        do { try world.allReduceSum(&failed) } catch { fail(world, CLIError("--distributed: \(error)")) }
        if failed[0] > 0 {
            if failed[0] == Double(world.size) {
                // Every rank failed alike: rank 0 says why before any rank exits (mpirun ends
                // the job at the first non-zero exit, which could cut rank 0's message).
                let code = (setupError as? CLIError)?.exitCode ?? 1
                if world.isRoot { Console.error((setupError as? CLIError)?.message ?? "\(setupError!)") }
                try? world.barrier()
                world.finish()
                Foundation.exit(code)
            }
            if let setupError { fail(world, setupError) }
            world.abort(code: 1)  // wait for the failing rank's MPI_Abort
        }
        do {
            try session!.synchronizeRanks()
            try withExtendedLifetime(lock) { try session!.run() }
        } catch let interrupted as Interrupted {
            world.finish()
            throw interrupted
        } catch {
            fail(world, error)
        }
        world.finish()
    }

    /// Prints `error` (rank 0 as is, the others naming their rank) and ends every rank.
    private func fail(_ world: Communicator, _ error: Error) -> Never {
        let text = (error as? CLIError)?.message ?? "\(error)"
        Console.error(world.isRoot ? text : "rank \(world.rank) of \(world.size): \(text)")
        world.abort(code: (error as? CLIError)?.exitCode ?? 1)
    }

    /// Rank > 0: results and samples go nowhere (rank 0 prints them); stderr stays, for
    /// errors and warnings.
    private func silenceStandardOutput() {
        let null = open("/dev/null", O_WRONLY)
        if null >= 0 { _ = dup2(null, STDOUT_FILENO); _ = close(null) }
    }
}
