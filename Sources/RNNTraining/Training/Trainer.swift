import Linalg
import RNN

/// The training loop, once for every `SequenceModel`: per step the learning-rate hook,
/// the gradients (split across `workers` threads by a `DataParallelModel`), global-norm
/// clipping, the non-finite check, the optimizer update, and — for a source whose batches
/// continue each other — the state carried into the next batch (truncated BPTT).
///
/// ```swift
/// let trainer = Trainer(model: model, optimizer: Adam(learningRate: 2e-3), workers: 2, clipNorm: 5)
/// trainer.learningRateSchedule = { position in 2e-3 * pow(0.95, Float(position.epoch)) }
/// try trainer.train(on: streams, for: .epochs(10)) { event in
///     if case .epochEnd(let epoch) = event { print(epoch, model.meanLoss(over: validation).loss) }
/// }
/// ```
///
/// Its position (step, epoch, batch of the epoch), carried state, schedule and clipping
/// threshold (`trainingState(rngState:)`) are all a checkpoint needs besides the weights,
/// the optimizer (`OptimizerState`) and the caller's random state, so a trainer made
/// again from them (`init(resuming:workers:)`) continues bit for bit:
///
/// ```swift
/// try ModelCheckpoint(model: model, optimizer: OptimizerState(capturing: trainer.optimizer),
///                     training: trainer.trainingState(rngState: rng.state)).write(path: "run.safetensors")
/// // later, in another process:
/// let trainer = try Trainer(resuming: try ModelCheckpoint<ManyToOneModel>.read(path: "run.safetensors"), workers: 2)
/// try trainer.train(on: batches, for: .epochs(20))   // continues at the saved step
/// ```
/// - Complexity: per step the model's forward and backward plus `O(P)` for clipping and
///   the update; nothing allocated per step once the batch has its size, but 32 bytes
///   when the step is split across workers (the `WorkerTeam` boxes its closure).
public final class Trainer<Model: SequenceModel> {
    public let model: Model
    /// Computes the gradients, split across its workers.
    public let parallel: DataParallelModel<Model>
    public let optimizer: Optimizer
    /// The gradients' global norm is clipped to this; nil or 0: no clipping.
    public var clipNorm: Float?
    /// The learning rate of each step from the position, saved with the training state
    /// (`trainingState(rngState:)`) so that a resumed run continues it; a `plateau`
    /// schedule learns from `schedule?.epochEnded(validationLoss:)`, which the caller
    /// calls at each epoch's end. Nil (and no `learningRateSchedule`): the optimizer's
    /// rate throughout.
    public var schedule: LearningRateSchedule?
    /// Any rule for the learning rate of the next step, from the position; when set it
    /// is used instead of `schedule`, and is not saved (a resumed run must set it again).
    public var learningRateSchedule: ((TrainingPosition) -> Float)?
    /// When set, called with the model's parameters after each step's gradients are
    /// computed and before they are clipped (per-parameter gradient statistics).
    public var gradientObserver: ((ParameterStore) -> Void)?
    /// When set (training across processes), combines each step's gradients and loss with
    /// the other processes' right after they are computed, before the observer and clipping.
    public var gradientReducer: GradientReducer?
    /// What the next step does.
    public var position = TrainingPosition()
    /// The state the next batch starts from (nil: zeros), when the source continues its
    /// sequences; reset at every epoch.
    public var carriedState: [Float]?

    /// A trainer of `model` on `workers` threads (1: the model trains itself, the GEMM
    /// library's threads inside each product; see `BatchSplit.recommendedWorkers`).
    public init(model: Model, optimizer: Optimizer, workers: Int = 1, clipNorm: Float? = nil) {
        self.model = model
        self.optimizer = optimizer
        self.clipNorm = clipNorm
        parallel = DataParallelModel(model, workers: workers)
    }

    /// When set, steps time their phases into it (clipping and the update as `.optimizer`).
    public var profiler: PhaseProfiler? {
        get { parallel.profiler }
        set { parallel.profiler = newValue }
    }

    /// The number of worker threads a step is split across.
    public var workerCount: Int { parallel.workerCount }

    /// One update on `batch`. With `carryState`, the batch starts from `carriedState`
    /// (whatever its own `initialState`), and afterwards `carriedState` is the state after
    /// it. Advances `position.step` and `position.stepInEpoch`.
    /// - Throws: `TrainingError.nonFinite` when the loss or the gradient is NaN or
    ///   infinite: the weights, the optimizer's moments and step count and the position are
    ///   then unchanged (its learning rate is that step's). `.carriedStateMismatch` when the
    ///   carried state (e.g. a checkpoint's) does not fit this batch; nothing ran.
    ///   `.invalidBatch` when the batch does not fit the model (`SequenceModel.check`: a
    ///   token outside the vocabulary, a bad length, misplaced padding); nothing ran. (Over
    ///   MPI a rank that throws here leaves the all-reduce: the other ranks stop with the
    ///   collective watchdog's error. Every rank checks its own share, so give all ranks
    ///   data that passes.)
    @discardableResult
    public func step(_ batch: Model.Batch, carryState: Bool = false) throws(TrainingError) -> StepResult {
        let clock = ContinuousClock(), started = clock.now
        do { try model.check(batch) } catch { throw .invalidBatch(error, step: position.step + 1, epoch: position.epoch) }
        if carryState, let state = carriedState, state.count != model.stateBlocks * batch.batchSize * model.stateWidth {
            throw .carriedStateMismatch(values: state.count, expected: model.stateBlocks * batch.batchSize * model.stateWidth)
        }
        let learningRate = learningRateSchedule?(position) ?? schedule.map { Float($0.rate(at: position)) } ?? optimizer.learningRate
        optimizer.learningRate = learningRate
        var input = batch
        if carryState { input.initialState = carriedState }
        model.trainingStep = position.step  // the step's dropout masks follow the position
        let loss = parallel.computeGradients(input)
        input.initialState = nil  // the carried array's only owner again, so it is reused below
        // Across processes: the whole batch's loss, predictions and (in place) gradients.
        let (batchLoss, predictions) =
            try gradientReducer?.reduce(model.parameters, loss: loss, countedTargets: batch.countedTargets)
            ?? (loss, batch.countedTargets)
        gradientObserver?(model.parameters)
        let norm = parallel.profiler.measure(.optimizer) { () -> Float in
            let norm =
                clipNorm.map { $0 > 0 } == true
                ? GradientClipping.clipGlobalNorm(model.parameters, maxNorm: clipNorm!)
                : GradientClipping.globalNorm(model.parameters)
            if batchLoss.isFinite && norm.isFinite { optimizer.step(model.parameters) }
            return norm
        }
        guard batchLoss.isFinite && norm.isFinite else {
            throw .nonFinite(loss: batchLoss, gradientNorm: norm, step: position.step + 1, epoch: position.epoch)
        }
        if carryState {
            var carried = carriedState ?? []
            carriedState = nil
            parallel.finalState(into: &carried)
            carriedState = carried
        }
        position.step += 1
        position.stepInEpoch += 1
        return StepResult(
            loss: batchLoss, gradientNorm: norm, learningRate: learningRate, predictions: predictions,
            seconds: (clock.now - started).seconds)
    }

    /// Trains on `source` until `goal`, from the current position: each epoch walks the
    /// source's batches from `position.stepInEpoch`, the state reset at its start.
    /// `onEvent` sees every step and every epoch's end (the position already moved on);
    /// an error it throws stops training there (after that step or epoch).
    public func train<Source: BatchSource>(
        on source: Source, for goal: TrainingGoal,
        onEvent: (TrainingEvent) throws -> Void = { _ in }
    ) throws
    where Source.Batch == Model.Batch {
        precondition(source.batchesPerEpoch > 0, "the batch source has no batches")
        let carry = source.continuesSequences && model.carriesState
        var batch = Model.Batch()
        while !goal.isReached(at: position) {
            if position.stepInEpoch >= source.batchesPerEpoch { position.stepInEpoch = 0 }
            if position.stepInEpoch == 0 { carriedState = nil }
            source.fill(position.stepInEpoch, epoch: position.epoch, into: &batch)
            let result = try step(batch, carryState: carry)
            try onEvent(.step(result))
            if position.stepInEpoch == source.batchesPerEpoch {
                position.epoch += 1
                position.stepInEpoch = 0
                carriedState = nil
                try onEvent(.epochEnd(epoch: position.epoch - 1))
            }
        }
    }

    /// A trainer of `model` that continues the run `optimizer` and `training` were
    /// captured from (`OptimizerState(capturing:)`, `trainingState(rngState:)`): the
    /// optimizer with its settings, moments and step count, the schedule with its state,
    /// the clipping threshold, the position and the carried state. The caller restores
    /// its own generator from `training.rngState`. A file of format version 1–3 held no
    /// settings besides the optimizer's kind and rate: its optimizer gets PyTorch's
    /// defaults, and the trainer no schedule and no clipping (set them after).
    /// - Throws: `CheckpointError` when the optimizer state does not fit `model` or has
    ///   invalid settings; `TrainingError.carriedStateMismatch` when the carried state does
    ///   not fit `model`.
    public convenience init(
        model: Model, resuming optimizer: OptimizerState, training: TrainingState,
        workers: Int = 1
    ) throws {
        self.init(
            model: model, optimizer: try optimizer.makeOptimizer(for: model.parameters), workers: workers,
            clipNorm: training.clipNorm)
        schedule = training.schedule
        try resume(from: training)
    }

    /// A trainer that continues the run `checkpoint` saved (see
    /// `init(model:resuming:training:workers:)`), on its model.
    /// - Throws: `CheckpointError.missingMetadata` when the checkpoint has no optimizer or
    ///   no training state (it holds weights only: make a new `Trainer` to start a run from
    ///   them), and the errors of `init(model:resuming:training:workers:)`.
    public convenience init(resuming checkpoint: ModelCheckpoint<Model>, workers: Int = 1) throws {
        guard let optimizer = checkpoint.optimizer else { throw CheckpointError.missingMetadata("optimizer") }
        guard let training = checkpoint.training else { throw CheckpointError.missingMetadata("step") }
        try self.init(model: checkpoint.model, resuming: optimizer, training: training, workers: workers)
    }

    /// The position and carried state of `state` (a checkpoint's), to continue from;
    /// the optimizer, schedule and clipping stay as they are (`init(resuming:workers:)`
    /// restores those too).
    /// - Throws: `.carriedStateMismatch` when the state is not whole `[blocks, B, H]`
    ///   sequences of this model (or the model carries none); the trainer is unchanged.
    public func resume(from state: TrainingState) throws(TrainingError) {
        if let h = state.hiddenState {
            let perSequence = model.stateBlocks * model.stateWidth
            guard perSequence > 0 && !h.isEmpty && h.count % perSequence == 0 else {
                throw .carriedStateMismatch(values: h.count, expected: perSequence)
            }
        }
        position = TrainingPosition(step: state.step, epoch: state.epoch, stepInEpoch: state.stepInEpoch)
        carriedState = state.hiddenState
    }

    /// The training state to checkpoint: the position, the carried state, the schedule,
    /// the clipping threshold and `rngState` (the caller's generator, e.g. for samples).
    public func trainingState(rngState: [UInt32]) -> TrainingState {
        TrainingState(
            step: position.step, epoch: position.epoch, stepInEpoch: position.stepInEpoch,
            rngState: rngState, hiddenState: carriedState, schedule: schedule,
            clipNorm: clipNorm.flatMap { $0 > 0 ? $0 : nil })
    }
}

extension SequenceModel {
    /// The mean loss over one epoch of `source`, weighted by the predictions each batch
    /// counts, carrying the state from batch to batch when the source continues its
    /// sequences (no gradients). Returns NaN and 0 when nothing is counted.
    public func meanLoss<Source: BatchSource>(over source: Source, epoch: Int = 0) -> (loss: Double, count: Int)
    where Source.Batch == Batch {
        var total = 0.0, count = 0
        forEachBatch(of: source, epoch: epoch) { batch in
            let n = batch.countedTargets
            total += loss(batch) * Double(n)
            count += n
        }
        return (count > 0 ? total / Double(count) : .nan, count)
    }

    /// Calls `evaluate` with each batch of one epoch of `source`, in order; when the source
    /// continues its sequences and the model carries a state, each batch starts from the
    /// state the previous one ended in (its `initialState` set). `evaluate` runs the
    /// model's forward pass on the batch (no gradients). What `meanLoss` and the accuracy
    /// helpers walk.
    /// - Complexity: `source`'s fills plus `evaluate`'s work, one batch at a time.
    func forEachBatch<Source: BatchSource>(of source: Source, epoch: Int, _ evaluate: (Batch) -> Void)
    where Source.Batch == Batch {
        let carry = source.continuesSequences && carriesState
        var batch = Batch()
        var state: [Float]? = nil
        for index in 0..<source.batchesPerEpoch {
            source.fill(index, epoch: epoch, into: &batch)
            if carry { batch.initialState = state }
            evaluate(batch)
            if carry {
                var next = state ?? []  // refilled in place: the batch lets go of its copy first
                state = nil
                batch.initialState = nil
                finalState(into: &next)
                state = next
            }
        }
    }
}
