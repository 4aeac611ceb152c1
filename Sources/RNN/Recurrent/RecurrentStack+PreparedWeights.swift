import Linalg

/// The weights a stack's forward reads in prepared form, each made again only when the
/// parameters have changed since it was made (`ParameterStore.version`): inference and
/// evaluation reuse them from call to call; training, whose every step changes the
/// parameters, makes them once per forward. What inference adds to a stack's training
/// state (with the `team` that reads the packed shares), kept apart from it.
///
/// - per direction, `[V, G·H]`: each token's input projection with the biases
///   (`tokenProjectionTable`);
/// - per layer-direction, `W_hhᵀ` `[H, G·H]` (`transposedRecurrentWeights`) and, for the
///   single steps of a sampler, `W_ihᵀ` `[I_k, G·H]` (`transposedInputWeights`);
/// - per layer-direction, a team's packed shares of both (`PackedShares`), when it splits
///   one sequence by hidden units.
final class PreparedWeights {
    let tokenTables: [FloatBuffer]
    var tokenTableVersions: [UInt64?]
    let recurrentTransposes: [PreparedTranspose]
    let inputTransposes: [PreparedTranspose]
    let recurrentShares: [PackedShares]
    let inputShares: [PackedShares]

    init(layerDirections: Int, directions: Int) {
        tokenTables = (0..<directions).map { _ in FloatBuffer() }
        tokenTableVersions = Array(repeating: nil, count: directions)
        recurrentTransposes = (0..<layerDirections).map { _ in PreparedTranspose() }
        inputTransposes = (0..<layerDirections).map { _ in PreparedTranspose() }
        recurrentShares = (0..<layerDirections).map { _ in PackedShares() }
        inputShares = (0..<layerDirections).map { _ in PackedShares() }
    }

    /// The floats of everything prepared so far.
    var heldFloats: Int {
        tokenTables.reduce(0) { $0 + $1.heldFloats } + (recurrentTransposes + inputTransposes).reduce(0) { $0 + $1.heldFloats }
            + (recurrentShares + inputShares).reduce(0) { $0 + $1.heldFloats }
    }
}

extension RecurrentStack {
    /// Layer `k`'s `W_hhᵀ` `[H, G·H]`, transposed once per forward so that every step's
    /// `h_{t-1} W_hhᵀ` is a plain (not transposed) GEMM `[B, H] x [H, G·H]`: OpenBLAS
    /// packs that operand faster (measured, one step `[64, 1024] x [1024, 4096]` on one
    /// thread: 45.8 GFLOP/s transposed, 57.3 plain). Made again only when the parameters
    /// have changed since (`ParameterStore.version`); valid until they change.
    /// - Complexity: O(G·H²) when made, against O(T·B·G·H²) for the steps it serves; O(1)
    ///   when reused (a sampler's every token).
    func transposedRecurrentWeights(_ k: Int, w: UnsafePointer<Float>) -> UnsafePointer<Float> {
        let prepared = self.prepared.recurrentTransposes[k], version = parameters.version
        if prepared.isCurrent(rows: gateWidth, cols: hiddenSize, version: version) {
            return prepared.of(w + weightHH[k].offset, rows: gateWidth, cols: hiddenSize, version: version)
        }
        return profiler.measure(.forwardRecurrence) {   // timed only when made
            prepared.of(w + weightHH[k].offset, rows: gateWidth, cols: hiddenSize, version: version)
        }
    }

    /// Layer `k`'s `W_hhᵀ` for the steps of a batch of `B` (with the team's packed shares
    /// when it splits them by units).
    func recurrentWeight(_ k: Int, w: UnsafePointer<Float>, batchSize B: Int) -> PreparedWeight {
        preparedWeight(transposedRecurrentWeights(k, w: w), depth: hiddenSize, packed: prepared.recurrentShares[k], batchSize: B)
    }

    /// Layer `k`'s `W_ihᵀ` `[I_k, G·H]`, for the input product of a single row (a sampled
    /// token's step in an upper layer), which `RowProduct` reads once; prepared like
    /// `transposedRecurrentWeights`.
    func transposedInputWeights(_ k: Int, w: UnsafePointer<Float>) -> UnsafePointer<Float> {
        prepared.inputTransposes[k].of(w + weightIH[k].offset, rows: gateWidth, cols: layerInputSize(k), version: parameters.version)
    }

    /// Layer-direction `k`'s (layer 0, token input) table `[V, G·H]` of rows
    /// `W_ih[:, v] + bias`, made from `wih` and the `[G·H]` `bias` when the parameters have
    /// changed since (`V·G·H` strided reads), else the one made before.
    func tokenProjectionTable(_ k: Int, bias: UnsafePointer<Float>, wih: UnsafePointer<Float>) -> UnsafePointer<Float> {
        let I = layerInputSize(k), gH = gateWidth
        let direction = k % directions, table = prepared.tokenTables[direction]
        if prepared.tokenTableVersions[direction] != parameters.version || table.count != I * gH {
            table.resize(I * gH)
            let t = table.pointer
            for v in 0..<I { (t + v * gH).update(from: bias, count: gH) }
            for j in 0..<gH {
                let weights = wih + j * I
                for v in 0..<I { t[v * gH + j] += weights[v] }
            }
            prepared.tokenTableVersions[direction] = parameters.version
        }
        return UnsafePointer(table.pointer)
    }
}
