import Foundation
import Linalg
import RNN
import RNNDistributed
import RNNTraining
import SequenceData
import _ToolSupport

#if canImport(Glibc)
    import Glibc
#endif

/// `seq2seq train --distributed` under `mpirun -np N`: every rank reads the pairs (and a
/// `--resume` checkpoint) from the same path and trains its share of every batch; the
/// gradients are summed after each step (`GradientAllReduce`, which also carries the ranks'
/// stop requests, so all stop after the same step); rank 0 alone prints and writes the
/// checkpoint, which resumes at any rank count or in one process.
final class PairCluster {
    let world: Communicator
    let reducer: GradientAllReduce

    /// Joins the ranks `mpirun` started, or says how to start them.
    init(timeout: Double) throws {
        guard MPILaunch.isPresent else {
            throw CLIError(
                "--distributed needs an MPI launcher: start it as mpirun -np N seq2seq train --pairs FILE --checkpoint F --distributed; without --distributed it trains in this one process"
            )
        }
        do { world = try Communicator.world(collectiveTimeout: timeout) } catch { throw CLIError("--distributed: \(error)") }
        reducer = GradientAllReduce(world)
        reducer.localStopRequest = { InterruptHandler.requested }
        InterruptHandler.stopOnTermination(
            announce: world.isRoot,
            message:
                "\nseq2seq: stop requested (Ctrl-C on mpirun, or a rank ended): every rank finishes the current step, then rank 0 saves the checkpoint\n"
        )
        if !world.isRoot {
            let null = open("/dev/null", O_WRONLY)
            if null >= 0 { _ = dup2(null, STDOUT_FILENO); _ = close(null) }
        }
    }

    var isRoot: Bool { world.isRoot }

    /// This rank's share of each batch of `batchSize` pairs.
    func share(batchSize: Int) throws -> RankShare {
        guard world.size <= batchSize else {
            throw CLIError(
                "--distributed with \(world.size) ranks needs at least one pair per rank in a batch, but --batch-size is \(batchSize); start at most \(batchSize) ranks or give a larger --batch-size"
            )
        }
        return RankShare(rank: world.rank, ranks: world.size, batchSize: batchSize)
    }

    /// Runs `setup` on every rank; when it fails anywhere, ends every rank with the error
    /// (printed once, by rank 0, when every rank met it).
    func agree<T>(_ setup: () throws -> T) throws -> T {
        var result: Result<T, Error>
        do { result = .success(try setup()) } catch { result = .failure(error) }
        var failed = [0.0]
        if case .failure = result { failed[0] = 1 }
        do { try world.allReduceSum(&failed) } catch { fail(CLIError("--distributed: \(error)")) }
        switch result {
        case .success(let value) where failed[0] == 0: return value
        case .failure(let error) where failed[0] == Double(world.size):
            // Every rank failed alike: rank 0 says why before any rank exits.
            if isRoot { Console.error((error as? CLIError)?.message ?? "\(error)") }
            try? world.barrier()
            world.finish()
            Foundation.exit((error as? CLIError)?.exitCode ?? 1)
        case .failure(let error): fail(error)
        case .success: world.abort(code: 1)  // wait for the failing rank's MPI_Abort
        }
    }

    /// Rank 0's weights and generator into every rank's.
    func synchronize(_ model: EncoderDecoderModel, rng: inout SeededRandom) throws {
        do {
            try world.broadcastValues(of: model.parameters)
            try world.broadcast(&rng)
        } catch { throw CLIError("--distributed: \(error)") }
    }

    /// The mean loss over `source`, each rank evaluating its share of every batch.
    func meanLoss(_ model: EncoderDecoderModel, over source: PairBatches) throws -> Double {
        var total = 0.0, counted = 0.0
        var batch = EncoderDecoderModel.Batch(), mine = EncoderDecoderModel.Batch()
        for i in 0..<source.batchesPerEpoch {
            source.fill(i, epoch: 0, into: &batch)
            let range = RankShare.sequences(rank: world.rank, ranks: world.size, batchSize: batch.batchSize)
            guard !range.isEmpty else { continue }
            mine.takeSequences(range, of: batch, stateBlocks: 0)
            let n = Double(mine.countedTargets)
            total += model.loss(mine) * n
            counted += n
        }
        var sums = [total, counted]
        do { try world.allReduceSum(&sums) } catch { throw CLIError("--distributed: \(error)") }
        return sums[1] > 0 ? sums[0] / sums[1] : .nan
    }

    /// `2 ranks (mpirun), each training 32 of the 64 pairs of a batch`.
    func summary(batchSize: Int) -> String {
        let counts = Set((0..<world.size).map { RankShare.sequences(rank: $0, ranks: world.size, batchSize: batchSize).count }).sorted()
        let each = counts.count == 1 ? "\(counts[0])" : "\(counts.first!)–\(counts.last!)"
        return
            "\(world.size) ranks (mpirun), each training \(each) of the \(batchSize) pairs of a batch, gradients summed with MPI_Allreduce"
    }

    /// Prints `error` (rank 0 as is, the others naming their rank) and ends every rank.
    func fail(_ error: Error) -> Never {
        let text = (error as? CLIError)?.message ?? "\(error)"
        Console.error(world.isRoot ? text : "rank \(world.rank) of \(world.size): \(text)")
        world.abort(code: (error as? CLIError)?.exitCode ?? 1)
    }
}
