import Linalg

/// How a direction's steps are split across a thread team (`forEachStep`), and the
/// gate products of a step's share (`accumulateGateProducts`): the part of the walk over
/// the steps that the team decides, the same for every cell.
struct StepSchedule {
    /// The threads (nil: the calling thread alone).
    let team: WorkerTeam?
    /// `H`, and `G` (the cell's gate blocks).
    let hidden: Int
    let gateCount: Int

    /// The profiler of a forward's steps: `profiler`, or none while a team splits them
    /// (the profiler times one thread's phases; the team's threads run theirs at once).
    func stepProfiler(_ profiler: PhaseProfiler?) -> PhaseProfiler? { (team?.size ?? 1) > 1 ? nil : profiler }

    /// Runs `step(t, share)` for every step `t` in `0..<T` of a layer over a batch of `B`
    /// sequences: the sequences `share.rows` and hidden units `share.units` of step `t`,
    /// which reads only step `t - 1` (of all units) and writes only its own rows and units.
    ///
    /// - Without a `team` (or one of one thread): all rows and units, in order.
    /// - At least `sequencesPerThread` sequences per thread: each thread its share of the
    ///   sequences, all steps, no barrier (the sequences are independent).
    /// - Fewer (one sequence, a batch of samples): each thread its share of the units
    ///   (`unitShare`) of every sequence, from its packed share of the weights, a barrier
    ///   after each step but the last (the end of the run is one).
    /// - Complexity: the steps' work, plus per step a barrier when split by units.
    func forEachStep(T: Int, B: Int, _ step: (_ t: Int, _ share: StepShare) -> Void) {
        let H = hidden
        guard let team, team.size > 1 else {
            for t in 0..<T { step(t, StepShare(rows: 0..<B, units: 0..<H, rank: nil, thread: 0)) }
            return
        }
        if !splitsByUnits(batchSize: B) {
            team.run { rank in
                let share = StepShare(rows: team.share(of: B, rank: rank), units: 0..<H, rank: nil, thread: rank)
                for t in 0..<T { step(t, share) }
            }
        } else {
            team.run { rank in
                let share = StepShare(rows: 0..<B, units: unitShare(team, rank: rank), rank: rank, thread: rank)
                for t in 0..<T {
                    if !share.units.isEmpty { step(t, share) }
                    if t < T - 1 { team.barrier() }
                }
            }
        }
    }

    /// Each rank's units when the team splits one sequence's steps: bounds at multiples
    /// of 16 (a vector register's width).
    func unitShare(_ team: WorkerTeam, rank: Int) -> Range<Int> {
        team.share(of: hidden, rank: rank, granule: 16)
    }

    /// Whether `forEachStep` splits a batch of `B` by units.
    func splitsByUnits(batchSize B: Int) -> Bool {
        guard let team, team.size > 1 else { return false }
        return B < Self.sequencesPerThread * team.size
    }

    // Measured on an Intel Xeon, 2 threads, 32 samples of a 2x256 LSTM: 70–101k tok/s
    // split by units against 64–78k split 16 + 16 by sequences.
    /// A batch splits by sequences from this many per thread: fewer make each thread's
    /// GEMMs too short to beat the split by units.
    static var sequencesPerThread: Int { 32 }

    /// `c[b, g·H + j] += Σ_i x[b, i] · W[i, g·H + j]` for the sequences `b` in `share.rows`,
    /// every gate block `g` and the units `j` in `share.units`: `x` `[·, ldx]` (its first
    /// `K` columns), `c` `[·, G·H]`, each pointer at row 0; `W` = `weight.transposed`
    /// `[K, G·H]`, or the rank's packed share when the units are a rank's.
    ///
    /// In `weight.precision`, with `products` (the share's thread's, of that precision):
    /// several rows of all units are one GEMM; several rows of a rank's units, one per gate
    /// block from its packed share; a single row is `RowProduct` (one call for all units,
    /// one per gate block for a share), in bf16 from the weight's pairs of rows. A single
    /// row's column gets the same bits whichever share it falls in. `xOperand` is what the
    /// GEMM of several rows of all units reads for `x` (its row 0): in bf16 its bits may
    /// be rounded already.
    /// - Complexity: `O(|rows|·K·G·|units|)`.
    func accumulateGateProducts(
        _ x: UnsafePointer<Float>, ldx: Int, depth K: Int, _ weight: PreparedWeight,
        into c: UnsafeMutablePointer<Float>, share: StepShare, products: PrecisionGEMM = .fp32,
        xOperand: PrecisionGEMM.Operand = .activation
    ) {
        let H = hidden, G = gateCount, gH = G * hidden, rows = share.rows, units = share.units
        let bf16 = weight.precision == .bf16
        if let rank = share.rank, let shares = weight.shares {
            let n = units.count, first = rows.lowerBound
            for g in 0..<G {
                let out = c + g * H + units.lowerBound
                switch (rows.count > 1, bf16) {
                case (true, false):
                    BLAS.gemm(
                        .none, .none, m: rows.count, n: n, k: K, a: x + first * ldx, lda: ldx, b: shares.share(rank) + g * n,
                        ldb: G * n, beta: 1, c: out + first * gH, ldc: gH)
                case (true, true):
                    products.gemm(
                        m: rows.count, n: n, k: K, a: x + first * ldx, lda: ldx, bf16: shares.bf16Share(rank) + g * n,
                        ldb: G * n, beta: 1, c: out + first * gH, ldc: gH)
                case (false, false):
                    RowProduct.accumulate(x + first * ldx, shares.share(rank) + g * n, ldw: G * n, into: out + first * gH, k: K, n: n)
                case (false, true):
                    RowProduct.accumulate(
                        x + first * ldx, pairs: shares.pairShare(rank) + g * n, ldw: G * n, into: out + first * gH, k: K, n: n)
                }
            }
            return
        }
        precondition(units.count == H, "a share of the units needs the packed weight")
        if rows.count > 1 {
            products.gemm(
                .none, .none, m: rows.count, n: gH, k: K, a: x + rows.lowerBound * ldx, lda: ldx,
                xOperand.advanced(by: rows.lowerBound), b: weight.transposed, ldb: gH, .weight(version: weight.version), beta: 1,
                c: c + rows.lowerBound * gH,
                ldc: gH)
        } else if let pairs = weight.pairs {
            for b in rows { RowProduct.accumulate(x + b * ldx, pairs: pairs, ldw: gH, into: c + b * gH, k: K, n: gH) }
        } else {
            for b in rows { RowProduct.accumulate(x + b * ldx, weight.transposed, ldw: gH, into: c + b * gH, k: K, n: gH) }
        }
    }
}

/// The part of a step that one thread computes (see `StepSchedule.forEachStep`).
struct StepShare {
    /// The sequences, and the hidden units of each.
    let rows: Range<Int>
    let units: Range<Int>
    /// The team rank whose packed weights serve `units` when the split is by units; nil
    /// when the units are all of them.
    let rank: Int?
    /// The team rank that computes it (0: the calling thread alone), whose products it uses.
    let thread: Int
}

/// A layer's prepared `[K, G·H]` weight and, when a team splits one sequence by units, each
/// rank's packed share of it, for products in `precision`.
struct PreparedWeight {
    let transposed: UnsafePointer<Float>
    /// In bf16, for a single row of all units: `transposed` in pairs of rows.
    var pairs: UnsafePointer<UInt32>? = nil
    /// Split by units: the packed shares, in the form `precision` and the batch need
    /// (fp32; bf16 for several rows, bf16 pairs for one).
    let shares: PackedShares?
    /// The parameters' version it is of.
    let version: UInt64
    var precision: Precision = .fp32
}
