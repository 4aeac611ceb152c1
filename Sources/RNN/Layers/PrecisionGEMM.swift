import Linalg

/// The GEMMs of one layer in its precision: in `fp32` `BLAS.gemm` as is; in `bf16` the
/// operands are rounded to bfloat16 and multiplied with float accumulation and a float
/// result (`BLAS.gemmBF16`) — mixed precision as Kalamkar et al. (2019) and oneDNN's bf16
/// RNN do it: float master weights, gradients, biases, nonlinearities and states.
///
/// A weight operand (`.weight(version)`) is rounded once per parameter version (once per
/// optimizer step) and kept, keyed by its address; an activation operand (`.activation`)
/// is rounded into a scratch buffer at each call: `O(rows·cols)` against the product's
/// `O(m·n·k)`. An activation that several products read can be rounded once by its
/// caller into a `RoundedActivation` and passed as `.rounded`: read as it is.
///
/// In bf16, a product of a weight over few rows (a recurrence's step: `packedRows`) runs
/// as oneDNN's matmul with the weight packed once per version (`PackedMatmul`).
///
/// A `bf16` one keeps rounding buffers and packed weights: one thread's at a time (each
/// layer, and each replica of a model, has its own). An `fp32` one holds nothing and
/// serves any thread (`PrecisionGEMM.fp32`).
final class PrecisionGEMM: @unchecked Sendable {
    /// What an operand is: a weight of the parameter store at `version`, an activation,
    /// or an activation whose bits `copy` already holds from row `row` on (in fp32 the
    /// float operand is read, as for `.activation`).
    enum Operand {
        case weight(version: UInt64)
        case activation
        case rounded(RoundedActivation, row: Int)

        /// The operand of this one's matrix from row `rows` on (a rounded activation's
        /// bits move with its rows).
        func advanced(by rows: Int) -> Operand {
            guard case .rounded(let copy, let row) = self else { return self }
            return .rounded(copy, row: row + rows)
        }
    }

    let precision: Precision

    /// The stateless fp32 products, for passes that stay fp32 whatever a layer's precision.
    static let fp32 = PrecisionGEMM(.fp32)

    init(_ precision: Precision) { self.precision = precision }

    /// Whether `.rounded` operands are read from their copies (true), or rounded from their
    /// floats at each product like `.activation` (false): the bits the copies must
    /// reproduce, for tests.
    var readsRoundedCopies = true

    /// bf16 copies of weights, by the address of their float values.
    private var weights: [UnsafePointer<Float>: BF16Copy] = [:]
    /// The rounded activation operands of the current call.
    private let scratchA = BF16Copy(), scratchB = BF16Copy()

    /// The bits of one operand, grown to fit, and the parameter version they are of (weights).
    private final class BF16Copy {
        let bits = RoundedActivation()
        var version: UInt64?

        /// The `rows x cols` matrix at `x` (row stride `ld`) rounded into this copy,
        /// contiguous (row stride `cols`).
        func round(_ x: UnsafePointer<Float>, rows: Int, cols: Int, ld: Int) -> UnsafePointer<UInt16> {
            bits.prepare(rows: rows, cols: cols)
            bits.round(x, ld: ld, rows: rows, at: 0)
            return bits.bits(from: 0)
        }
    }

    /// `C = alpha op(A) op(B) + beta C` (as `BLAS.gemm`) in this precision.
    /// - Complexity: O(m·n·k), plus in bf16 O(m·k + k·n) to round the operands that are
    ///   activations or weights of a new version (and to pack such a weight).
    func gemm(
        _ transA: Transpose, _ transB: Transpose, m: Int, n: Int, k: Int, alpha: Float = 1,
        a: UnsafePointer<Float>, lda: Int, _ aKind: Operand,
        b: UnsafePointer<Float>, ldb: Int, _ bKind: Operand,
        beta: Float = 0, c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        guard precision == .bf16, m > 0, n > 0, k > 0 else {
            return BLAS.gemm(
                transA, transB, m: m, n: n, k: k, alpha: alpha, a: a, lda: lda, b: b, ldb: ldb, beta: beta, c: c, ldc: ldc)
        }
        let (rowsA, colsA) = transA == .none ? (m, k) : (k, m)
        let (rowsB, colsB) = transB == .none ? (k, n) : (n, k)
        let (a16, lda16) = rounded(a, rows: rowsA, cols: colsA, ld: lda, aKind, scratch: scratchA)
        let (b16, ldb16) = rounded(b, rows: rowsB, cols: colsB, ld: ldb, bKind, scratch: scratchB)
        if case .weight(let version) = bKind, transA == .none, transB == .none, alpha == 1, beta == 0 || beta == 1,
            m <= Self.packedRows, lda16 == k,
            packedProduct(b, version, m: m, n: n, k: k, a: a16, beta: beta, c: c, ldc: ldc, values: UnsafeRawPointer(b16))
        {
            return
        }
        BLAS.gemmBF16(
            transA, transB, m: m, n: n, k: k, alpha: alpha, a: a16, lda: lda16, b: b16, ldb: ldb16, beta: beta, c: c,
            ldc: ldc)
    }

    /// `C = A B + beta C` in bf16 with `B` already rounded: `A` `[m, k]` (row stride `lda`,
    /// an activation, rounded at each call), `B` bf16 bits `[k, n]` (row stride `ldb`) —
    /// a team's packed share of a weight (`PackedShares.Form.bf16`). A `bf16` one only;
    /// `k > 0`.
    /// - Complexity: O(m·n·k) + O(m·k) to round `A`.
    func gemm(
        m: Int, n: Int, k: Int, a: UnsafePointer<Float>, lda: Int, bf16 b: UnsafePointer<UInt16>, ldb: Int,
        beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        precondition(precision == .bf16 && k > 0, "a bf16 operand needs the bf16 products and k > 0")
        guard m > 0, n > 0 else { return }
        let a16 = scratchA.round(a, rows: m, cols: k, ld: lda)
        BLAS.gemmBF16(.none, .none, m: m, n: n, k: k, a: a16, lda: k, b: b, ldb: ldb, beta: beta, c: c, ldc: ldc)
    }

    // Measured (scripts/dnnl-matmul-vs-gemm.c, Zen 4): the packed matmul wins at 32 to 256
    // rows, loses at 512 and 4096.
    /// A product of a weight over at most this many rows (a recurrence's step, a beam's
    /// hypotheses) runs as oneDNN's matmul with the weight packed once per version.
    static var packedRows: Int { 256 }

    private struct PlanKey: Hashable {
        let weight: UnsafePointer<Float>
        let m: Int, n: Int, k: Int, ldc: Int
    }

    /// A shape's packed matmul and the packed copy of its weight that it reads (shared with
    /// the weight's other shapes of the same layout).
    private final class PackedPlan {
        let matmul: PackedMatmul
        let weight: PackedWeight
        init(_ matmul: PackedMatmul, _ weight: PackedWeight) { (self.matmul, self.weight) = (matmul, weight) }
    }

    /// The packed plans by weight and shape (nil: oneDNN made none; the GEMM serves).
    private var plans: [PlanKey: PackedPlan?] = [:]
    /// Each weight's packed copies (one per layout its plans read; in practice one).
    private var packedWeights: [UnsafePointer<Float>: [PackedWeight]] = [:]

    /// The accumulating packed matmul of `weight` (`[k, n]`) for this shape, its `A` the
    /// contiguous rounded copy (row stride `k`), bound to the weight's packed copy of its
    /// layout: one copy serves every row count. Made at a shape's first call.
    private func packedPlan(_ weight: UnsafePointer<Float>, m: Int, n: Int, k: Int, ldc: Int) -> PackedPlan? {
        let key = PlanKey(weight: weight, m: m, n: n, k: k, ldc: ldc)
        if let known = plans[key] { return known }
        var plan: PackedPlan?
        if let matmul = PackedMatmul(.bf16, m: m, n: n, k: k, lda: k, ldc: ldc, accumulates: true) {
            var copies = packedWeights[weight, default: []]
            if let held = copies.first(where: { $0.fits(matmul) }) {
                plan = PackedPlan(matmul, held)
            } else if let made = PackedWeight(for: matmul) {
                copies.append(made)
                packedWeights[weight] = copies
                plan = PackedPlan(matmul, made)
            }
        }
        plans[key] = plan
        return plan
    }

    /// `C (+)= A W` (`beta` 0 or 1) as the packed matmul: `A` the rounded `[m, k]`, `W` the
    /// weight at `weight` (`[k, n]`) at `version`, packed from its bf16 bits `values` when
    /// its copy is older; false when oneDNN has no plan for it (the GEMM serves).
    private func packedProduct(
        _ weight: UnsafePointer<Float>, _ version: UInt64, m: Int, n: Int, k: Int, a: UnsafePointer<UInt16>,
        beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int, values: UnsafeRawPointer
    ) -> Bool {
        guard let plan = packedPlan(weight, m: m, n: n, k: k, ldc: ldc) else { return false }
        if plan.weight.version != version { plan.weight.pack(values, version: version) }
        if beta == 0 { for r in 0..<m { (c + r * ldc).update(repeating: 0, count: n) } }
        plan.matmul.multiply(a, plan.weight, into: c)
        return true
    }

    /// The bits of an operand `[rows, cols]` and their row stride: a weight's kept copy (of
    /// its version), a `RoundedActivation`'s rows, or an activation rounded into `scratch`.
    private func rounded(
        _ x: UnsafePointer<Float>, rows: Int, cols: Int, ld: Int, _ kind: Operand, scratch: BF16Copy
    ) -> (UnsafePointer<UInt16>, ld: Int) {
        let version: UInt64
        switch kind {
        case .rounded(let copy, let row) where readsRoundedCopies:
            precondition(copy.cols >= cols, "a rounded operand of \(copy.cols) columns read as \(cols)")
            return (copy.bits(from: row), copy.cols)
        case .activation, .rounded: return (scratch.round(x, rows: rows, cols: cols, ld: ld), cols)
        case .weight(let known): version = known
        }
        let copy: BF16Copy
        if let known = weights[x] {
            copy = known
        } else {
            copy = BF16Copy()
            weights[x] = copy
        }
        if copy.version != version || copy.bits.rows != rows || copy.bits.cols != cols {
            _ = copy.round(x, rows: rows, cols: cols, ld: ld)
            copy.version = version
        }
        return (copy.bits.bits(from: 0), cols)
    }
}

/// A layer's products in one precision, one `PrecisionGEMM` per thread of the team that
/// splits them: a `bf16` one keeps rounding buffers and packed weights that only one
/// thread may use at a time. Thread 0's serves the calling thread (and training's
/// backward).
final class ThreadProducts: @unchecked Sendable {
    let precision: Precision
    private var perThread: [PrecisionGEMM]

    /// The fp32 products, shared: the stateless `PrecisionGEMM.fp32` for every thread.
    static let fp32 = ThreadProducts(.fp32)

    /// A new layer's: in `Precision.initial` (`SWIFT_RNN_PRECISION`, else fp32).
    static var initial: ThreadProducts { of(.initial) }

    /// Products in `precision`: the shared fp32 ones, or new bf16 ones with their buffers.
    static func of(_ precision: Precision) -> ThreadProducts { precision == .fp32 ? .fp32 : ThreadProducts(precision) }

    private init(_ precision: Precision) {
        self.precision = precision
        perThread = [precision == .fp32 ? .fp32 : PrecisionGEMM(precision)]
    }

    /// Makes one for each of `threads` threads; called on the calling thread before a
    /// team's threads use them. O(1) when they exist.
    func reserve(threads: Int) {
        guard precision != .fp32 else { return }
        while perThread.count < threads {
            let made = PrecisionGEMM(precision)
            made.readsRoundedCopies = readsRoundedCopies
            perThread.append(made)
        }
    }

    /// Each thread's `PrecisionGEMM.readsRoundedCopies` (tests). Always true in fp32,
    /// whose products are shared and read no copies.
    var readsRoundedCopies: Bool {
        get { perThread[0].readsRoundedCopies }
        set {
            guard precision != .fp32 else { return }
            for products in perThread { products.readsRoundedCopies = newValue }
        }
    }

    /// Thread `thread`'s products (`reserve` first for a team's threads).
    subscript(thread: Int) -> PrecisionGEMM { precision == .fp32 ? .fp32 : perThread[thread] }
}
