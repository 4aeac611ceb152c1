import Linalg

/// What a stack's forward reads besides its parameters and activations: the thread
/// `team`, and the weights in prepared form, each made again only when the parameters
/// have changed since it was made (`ParameterStore.version`) — inference and evaluation
/// reuse them from call to call; training, whose every step changes the parameters,
/// makes them once per forward. Kept apart from the training state (`RecurrentWorkspace`).
///
/// - per direction, `[V, G·H]`: each token's input projection with the biases
///   (`tokenProjectionTable`);
/// - per layer-direction, `W_hhᵀ` `[H, G·H]` (`recurrentWeight`) and, for the
///   single steps of a sampler, `W_ihᵀ` `[I_k, G·H]` (`inputWeight`);
/// - per layer-direction, a team's packed shares of both (`PackedShares`), when it splits
///   one sequence by hidden units.
final class InferencePlan {
    /// The threads a forward splits across (nil: the calling thread alone); see
    /// `RecurrentStack.team`.
    var team: WorkerTeam?
    let hidden: Int
    let gateCount: Int
    private let tokenTables: [FloatBuffer]
    private var tokenTableVersions: [UInt64?]
    private let recurrentTransposes: [PreparedTranspose]
    private let inputTransposes: [PreparedTranspose]
    private let recurrentPairs: [PreparedPairs]
    private let inputPairs: [PreparedPairs]
    private let recurrentShares: [PackedShares]
    private let inputShares: [PackedShares]

    init(layerDirections: Int, directions: Int, hidden: Int, gateCount: Int) {
        (self.hidden, self.gateCount) = (hidden, gateCount)
        tokenTables = (0..<directions).map { _ in FloatBuffer() }
        tokenTableVersions = Array(repeating: nil, count: directions)
        recurrentTransposes = (0..<layerDirections).map { _ in PreparedTranspose() }
        inputTransposes = (0..<layerDirections).map { _ in PreparedTranspose() }
        recurrentPairs = (0..<layerDirections).map { _ in PreparedPairs() }
        inputPairs = (0..<layerDirections).map { _ in PreparedPairs() }
        recurrentShares = (0..<layerDirections).map { _ in PackedShares() }
        inputShares = (0..<layerDirections).map { _ in PackedShares() }
    }

    /// How the steps are split by the `team`.
    var schedule: StepSchedule { StepSchedule(team: team, hidden: hidden, gateCount: gateCount) }

    /// The floats of everything prepared so far.
    var heldFloats: Int {
        tokenTables.reduce(0) { $0 + $1.heldFloats } + (recurrentTransposes + inputTransposes).reduce(0) { $0 + $1.heldFloats }
            + (recurrentShares + inputShares).reduce(0) { $0 + $1.heldFloats }
            + (recurrentPairs + inputPairs).reduce(0) { $0 + $1.heldFloats }
    }

    /// The floats a plan for `configuration` holds after a forward of `T` steps over
    /// inputs of `I` (tokens when `tokenInput`) on `threads` threads: every `W_hhᵀ`, the
    /// token tables, for a single step each `W_ihᵀ` above a token layer, and on a team
    /// of more than one thread (split by units, as a sampler's few sequences are) the
    /// packed shares of those. - Complexity: O(L).
    static func floats(
        _ configuration: RecurrentConfiguration, inputSize I: Int, tokenInput: Bool, steps T: Int,
        threads: Int
    ) -> Int {
        let (H, L, D, G) = (
            configuration.hiddenSize, configuration.numLayers, configuration.directions,
            configuration.cell.gateCount
        )
        let recurrent = D * L * G * H * H
        let tables = tokenInput ? D * I * G * H : 0
        let inputTransposes =
            T == 1
            ? D * (0..<L).filter { $0 > 0 || !tokenInput }.reduce(0) { sum, k in sum + G * H * (k == 0 ? I : D * H) } : 0
        let shares = threads > 1 ? recurrent + inputTransposes : 0
        return recurrent + tables + inputTransposes + shares
    }

    // Measured, one step `[64, 1024] x [1024, 4096]` on one thread with OpenBLAS:
    // 45.8 GFLOP/s transposed, 57.3 plain.
    /// Layer-direction `k`'s `W_hhᵀ` `[H, G·H]` from `W_hh` at `weight`, transposed once per
    /// forward so that every step's `h_{t-1} W_hhᵀ` is a plain (not transposed) GEMM
    /// `[B, H] x [H, G·H]`, whose operand the GEMM libraries pack faster.
    /// Made again only when the parameters have changed since (`version`); valid until
    /// they change. With the team's packed shares when it splits a batch of `B` by units,
    /// and what products in `precision` read (see `preparedWeight`).
    /// - Complexity: O(G·H²) when made, against O(T·B·G·H²) for the steps it serves; O(1)
    ///   when reused (a sampler's every token).
    func recurrentWeight(
        _ k: Int, _ weight: UnsafePointer<Float>, version: UInt64, batchSize B: Int, precision: Precision,
        profiler: PhaseProfiler?
    ) -> PreparedWeight {
        let prepared = recurrentTransposes[k], gH = gateCount * hidden
        // The transpose is timed only when made.
        let transposed =
            prepared.isCurrent(rows: gH, cols: hidden, version: version)
            ? prepared.of(weight, rows: gH, cols: hidden, version: version)
            : profiler.measure(.forwardRecurrence) { prepared.of(weight, rows: gH, cols: hidden, version: version) }
        return preparedWeight(
            transposed, depth: hidden, packed: recurrentShares[k], pairs: recurrentPairs[k], version: version, batchSize: B,
            precision: precision)
    }

    /// Layer-direction `k`'s `W_ihᵀ` `[I_k, G·H]` from `W_ih` at `weight`, for the input
    /// product of single rows (a sampled token's step in an upper layer), with the team's
    /// packed shares when it splits a batch of `B` by units; prepared as `recurrentWeight`.
    func inputWeight(
        _ k: Int, _ weight: UnsafePointer<Float>, inputSize I: Int, version: UInt64, batchSize B: Int, precision: Precision
    ) -> PreparedWeight {
        let transposed = inputTransposes[k].of(weight, rows: gateCount * hidden, cols: I, version: version)
        return preparedWeight(
            transposed, depth: I, packed: inputShares[k], pairs: inputPairs[k], version: version, batchSize: B,
            precision: precision)
    }

    /// The prepared `[K, G·H]` weight `transposed`, and what its products in `precision`
    /// over a batch of `B` read besides: split by units, each rank's packed share (`packed`
    /// made ready for the team's `unitShare`s: floats in fp32; in bf16, pairs of rows for
    /// one sequence, bf16 bits for more); else in bf16 for one sequence, `transposed` in
    /// pairs of rows (`pairs`). Several sequences on one thread round `transposed` in
    /// their `PrecisionGEMM`.
    private func preparedWeight(
        _ transposed: UnsafePointer<Float>, depth K: Int, packed: PackedShares, pairs: PreparedPairs, version: UInt64,
        batchSize B: Int, precision: Precision
    ) -> PreparedWeight {
        let schedule = self.schedule, bf16 = precision == .bf16
        guard let team, schedule.splitsByUnits(batchSize: B) else {
            let rowPairs = bf16 && B == 1 ? pairs.of(transposed, depth: K, width: gateCount * hidden, version: version) : nil
            return PreparedWeight(transposed: transposed, pairs: rowPairs, shares: nil, version: version, precision: precision)
        }
        packed.prepare(
            transposed, depth: K, gates: gateCount, hidden: hidden, ranks: team.size,
            shares: { schedule.unitShare(team, rank: $0) }, version: version,
            form: !bf16 ? .fp32 : B == 1 ? .bf16Pairs : .bf16)
        return PreparedWeight(transposed: transposed, shares: packed, version: version, precision: precision)
    }

    /// Direction `d`'s (layer 0, token input) table `[V, G·H]` of rows `W_ih[:, v] + bias`,
    /// made from `wih` `[G·H, V]` and the `[G·H]` `bias` when the parameters have changed
    /// since (`V·G·H` strided reads), else the one made before.
    func tokenProjectionTable(
        direction d: Int, vocabulary V: Int, bias: UnsafePointer<Float>, wih: UnsafePointer<Float>,
        version: UInt64
    ) -> UnsafePointer<Float> {
        let gH = gateCount * hidden, table = tokenTables[d]
        if tokenTableVersions[d] != version || table.count != V * gH {
            table.resize(V * gH)
            let t = table.pointer
            for v in 0..<V { (t + v * gH).update(from: bias, count: gH) }
            for j in 0..<gH {
                let weights = wih + j * V
                for v in 0..<V { t[v * gH + j] += weights[v] }
            }
            tokenTableVersions[d] = version
        }
        return UnsafePointer(table.pointer)
    }
}
