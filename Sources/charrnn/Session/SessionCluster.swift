import Linalg
import RNN
import RNNDistributed
import RNNTraining
import _ToolSupport

/// What a `TrainingSession` does differently as one rank of a `--distributed` run: it
/// trains this rank's contiguous share of the `B` streams (`RankShare`), starts from rank
/// 0's weights and random state, sums the gradients over the ranks after every step
/// (`GradientAllReduce`, which also carries the ranks' stop requests, so that all stop
/// after the same step), splits the validation streams across the ranks, and assembles
/// the whole batch's carried state on rank 0 for the checkpoint, which holds the state of
/// all `B` streams whatever the rank count: a checkpoint resumes at any N ≤ B, and in
/// one process (the same run up to float rounding).
final class SessionCluster {
    let world: Communicator
    let reducer: GradientAllReduce
    /// This rank's share of the training batch.
    let share: RankShare

    /// The metadata key of the number of ranks that wrote a checkpoint.
    static let ranksKey = "distributed.ranks"

    init(world: Communicator, batchSize: Int) throws {
        guard world.size <= batchSize else {
            throw CLIError(
                "--distributed with \(world.size) ranks needs at least one stream per rank, but --batch-size is \(batchSize); start at most \(batchSize) ranks (mpirun -np \(batchSize)) or give a larger --batch-size"
            )
        }
        self.world = world
        reducer = GradientAllReduce(world)
        reducer.localStopRequest = { InterruptHandler.requested }
        share = RankShare(rank: world.rank, ranks: world.size, batchSize: batchSize)
        InterruptHandler.stopOnTermination(
            announce: world.isRoot,
            message:
                "\ncharrnn: stop requested (Ctrl-C on mpirun, or a rank ended): every rank finishes the current step, then rank 0 saves the checkpoint\n"
        )
    }

    var isRoot: Bool { world.isRoot }

    /// Rank 0's weights and generator into every rank's (the ranks read the same files,
    /// so this only makes sure; one broadcast of the parameters).
    func synchronize(_ model: ManyToManyModel, rng: inout SeededRandom) throws {
        do {
            try world.broadcastValues(of: model.parameters)
            try world.broadcast(&rng)
        } catch { throw CLIError("--distributed: \(error)") }
    }

    /// This rank's part of a (whole-batch) checkpoint's training state.
    func localState(_ state: TrainingState, blocks: Int) -> TrainingState {
        var local = state
        local.hiddenState = share.localState(of: state.hiddenState, blocks: blocks)
        return local
    }

    /// The whole batch's training state on rank 0 (collective: every rank calls it), from
    /// this rank's `state`.
    func wholeState(_ state: TrainingState, model: ManyToManyModel) throws -> TrainingState {
        var whole = state
        do {
            whole.hiddenState = try world.wholeState(
                state.hiddenState, share: share, blocks: model.stateBlocks,
                width: model.stateWidth)
        } catch { throw CLIError("--distributed: could not collect the carried state for the checkpoint: \(error)") }
        return whole
    }

    /// The mean loss over the validation streams, each rank evaluating its share.
    func validationLoss(_ model: ManyToManyModel, over validation: TokenStreams) throws -> Double {
        let share = RankShare(rank: world.rank, ranks: world.size, batchSize: validation.batchSize)
        do { return try world.meanLoss(of: model, over: validation, share: share).loss } catch {
            throw CLIError("--distributed: \(error)")
        }
    }

    /// The header line: `4 ranks (mpirun), each training 8 of the 32 streams`.
    var summary: String {
        let counts = Set(share.all.map(\.count)).sorted()
        let each = counts.count == 1 ? "\(counts[0])" : "\(counts.first!)–\(counts.last!)"
        return "\(world.size) ranks (mpirun), each training \(each) of the \(share.batchSize) streams, gradients summed with MPI_Allreduce"
    }

    /// A note when a checkpoint written by another number of ranks is resumed.
    func resumeNote(_ metadata: [String: String]) -> String? {
        let ranks = metadata[Self.ranksKey].flatMap { Int($0) } ?? 1
        guard ranks != world.size else { return nil }
        return
            "note: the checkpoint was written by \(ranks) rank\(ranks == 1 ? "" : "s"), this run has \(world.size): the global batch stays \(share.batchSize) streams (the checkpoint keeps every stream's state) and is split \(world.size) ways, so the run continues as at \(ranks) up to float rounding"
    }
}

extension TrainingSession {
    /// `--distributed`: every rank takes rank 0's weights and random state (call on every
    /// rank once the setup has worked everywhere).
    func synchronizeRanks() throws {
        try cluster?.synchronize(model, rng: &rng)
    }

    /// The mean validation loss: over every rank's share with `--distributed` (collective).
    func validationLoss(_ validation: TokenStreams) throws -> Double {
        if let cluster { return try cluster.validationLoss(model, over: validation) }
        return model.meanLoss(over: validation).loss
    }

    /// The training state to checkpoint, with the whole batch's carried state (with
    /// `--distributed`, collective: on rank 0 every rank's streams).
    func wholeTrainingState() throws -> TrainingState {
        let state = trainer.trainingState(rngState: rng.state)
        guard let cluster else { return state }
        return try cluster.wholeState(state, model: model)
    }
}
