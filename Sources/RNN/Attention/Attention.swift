import Linalg

/// Global attention over an encoder's outputs (Luong et al. 2015), masked by each
/// source's length, and the attentional state that feeds the output layer:
///
///     score(t, s) = h_t · e_s | h_t · W_a e_s | v · tanh(W_q h_t + b_q + W_k e_s)   (s < length)
///     α_t = softmax_s(score(t, ·)),   c_t = Σ_s α_t(s) e_s,   h̃_t = tanh(W_c [c_t; h_t])
///
/// Parameters under `attention.`: the score's (`AttentionScore`) and `combine.weight`
/// `W_c` `[H, M + H]` (no bias, as Luong's). Sources are time-major: the memory is
/// `[Ts·B, M]` (row `s·B + b`), the queries `[Tt·B, H]`; the weights are kept
/// sequence-major, `[B, Tt, Ts]`, zero past each source's length.
///
/// Two ways to run it, on one `attend(memory:...)` of a batch of sources:
/// - `forward` / `backward` over all `Tt` steps of a teacher-forced decoder: per sequence,
///   the scores of all its steps are one GEMM (`dot`, `general`), and so are its contexts
///   and their gradients;
/// - `step` over `N = B·k` rows of one decoding step (`k` hypotheses per source, a beam),
///   on the memory in source order (made once per `attend`), source by source: its rows'
///   scores, softmax and contexts while its block is in the cache; once the steps have run as
///   many rows as the memory has, the keys (`general`) and the context's columns of `W_c`
///   are folded into it, so that a step no longer projects its queries and its combine is
///   a product over `H` inputs (`fold`).
/// - Complexity: `forward` `O(B·Tt·Ts·(H + M) + Tt·B·(M + H)·H)` plus `O(Ts·B·M·H)` for the
///   keys (`general`, `additive`); `additive` adds `O(B·Tt·Ts·H)` tanh. Backward about twice
///   that. Nothing is allocated once `(B, Ts, Tt)` stop growing.
final class Attention {
    let score: AttentionScore
    /// `H`: the decoder's output (query) width, and the attentional state's.
    let queryWidth: Int
    /// `M`: the encoder's output width.
    let memoryWidth: Int
    /// `general`'s `W_a` `[H, M]`, or `additive`'s `W_k` `[H, M]`.
    let keyProjection: Linear?
    /// `additive`'s `W_q` `[H, H]` and `b_q`.
    let queryProjection: Linear?
    /// `additive`'s `v` `[1, H]`.
    let scoreVector: Linear?
    /// `W_c` `[H, M + H]`.
    let combine: Linear

    private(set) var batchSize = 0
    private(set) var memorySteps = 0
    private(set) var lengths: [Int] = []
    /// `[Ts·B, M]`, the encoder's outputs (a copy: they are read again in `backward`).
    private let memory = FloatBuffer()
    /// `[Ts·B, H]`: `W_a e_s` or `W_k e_s` (the memory itself for `dot`).
    private let keys = FloatBuffer()
    /// `step`'s memory in source order, `[B, Ts, M]`, made at the first step after
    /// `attend`: a source's positions are one contiguous block.
    private let sourceMemory = FloatBuffer()
    private var sourceOrderReady = false
    /// Once the steps have made them pay (`fold`), in source order: the keys `[B, Ts, H]`
    /// (`general`) and the memory through the context's columns of the combine weight,
    /// `W_c[:, 0..<M] e_s` `[B, Ts, H]`.
    private let sourceKeys = FloatBuffer()
    private let sourceValues = FloatBuffer()
    /// `[Ts·B, H]`: the values before they are put in source order.
    private let timeMajorValues = FloatBuffer()
    /// Whether the steps read the folded operands, and the rows they have run since
    /// `attend` (all unfolded until `folded`).
    private var folded = false
    private var stepRows = 0
    /// Whether the fold paid at the last batch that ran steps: then the next folds at its
    /// first step (a decoder's batches tend to run alike).
    private var foldPaidLastTime = false
    /// `[rows, H]`: the queries (decoder outputs) of the last `forward` or `step`.
    private let queries = FloatBuffer()
    /// `additive`: `[rows, H]`, `W_q h_t + b_q`.
    private let projectedQueries = FloatBuffer()
    /// `additive`, teacher-forced: `[B, Tt, Ts, H]`, the tanh of each pair (zero past a length).
    private let pairs = FloatBuffer()
    /// `[B, Tt, Ts]` (`forward`) or `[N, Ts]` (`step`): the attention weights.
    private let weights = FloatBuffer()
    /// `[rows, M + H]`: `[c_t; h_t]`, the combine layer's input.
    private let joined = FloatBuffer()
    /// `[rows, H]`: `h̃`.
    private let states = FloatBuffer()
    /// `[Tt·B, H]`: d(loss)/d(h̃), written by the caller before `backward`.
    let stateGradient = FloatBuffer()
    /// `[Ts·B, M]`: d(loss)/d(memory) after `backward`.
    let memoryGradient = FloatBuffer()
    private let joinedGradient = FloatBuffer()
    private let weightGradient = FloatBuffer()
    private let keyGradient = FloatBuffer()
    private let queryGradient = FloatBuffer()
    private var steps = 0

    /// The tensors of a `score` attention between queries of width `H` and memory of width `M`.
    static func parameterShapes(_ score: AttentionScore, queryWidth H: Int, memoryWidth M: Int) -> [ParameterShape] {
        let p = "attention."
        var shapes: [ParameterShape] = []
        switch score {
        case .dot: break
        case .general: shapes += Linear.parameterShapes(inputSize: M, outputSize: H, prefix: p, bias: false)
        case .additive:
            shapes += Linear.parameterShapes(inputSize: H, outputSize: H, prefix: p + "query.")
            shapes += Linear.parameterShapes(inputSize: M, outputSize: H, prefix: p + "key.", bias: false)
            shapes += Linear.parameterShapes(inputSize: H, outputSize: 1, prefix: p + "v.", bias: false)
        }
        return shapes + Linear.parameterShapes(inputSize: M + H, outputSize: H, prefix: p + "combine.", bias: false)
    }

    init(_ score: AttentionScore, queryWidth H: Int, memoryWidth M: Int, parameters: ParameterStore) {
        precondition(score != .dot || H == M, "a dot score needs memory as wide as the queries (\(M) vs \(H))")
        self.score = score
        queryWidth = H
        memoryWidth = M
        let p = "attention."
        switch score {
        case .dot:
            keyProjection = nil
            queryProjection = nil
            scoreVector = nil
        case .general:
            keyProjection = Linear(inputSize: M, outputSize: H, bias: false, parameters: parameters, prefix: p)
            queryProjection = nil
            scoreVector = nil
        case .additive:
            queryProjection = Linear(inputSize: H, outputSize: H, parameters: parameters, prefix: p + "query.")
            keyProjection = Linear(inputSize: M, outputSize: H, bias: false, parameters: parameters, prefix: p + "key.")
            scoreVector = Linear(inputSize: H, outputSize: 1, bias: false, parameters: parameters, prefix: p + "v.")
        }
        combine = Linear(inputSize: M + H, outputSize: H, bias: false, parameters: parameters, prefix: p + "combine.")
    }

    /// Every linear layer (for precision and initialization).
    var layers: [Linear] { [keyProjection, queryProjection, scoreVector].compactMap { $0 } + [combine] }

    func initialize(using rng: inout SeededRandom) { for layer in layers { layer.initialize(using: &rng) } }

    /// Takes the encoder's outputs `[Ts·B, M]` (copied) of `B` sources of `lengths`
    /// (`1...Ts`) as the memory of the following `forward` or `step`s. The keys are made
    /// when first read (`keysPointer`).
    func attend(memory source: UnsafePointer<Float>, steps Ts: Int, batchSize B: Int, lengths: [Int]) {
        precondition(lengths.count == B && lengths.allSatisfy { (1...Ts).contains($0) }, "source lengths must be in 1...\(Ts)")
        let M = memoryWidth
        if stepRows > 0 { foldPaidLastTime = stepRows >= memorySteps * batchSize }
        batchSize = B
        memorySteps = Ts
        self.lengths = lengths
        memory.resize(Ts * B * M)
        memory.pointer.update(from: source, count: Ts * B * M)
        (keysReady, sourceOrderReady, folded, stepRows) = (false, false, false, 0)
    }

    /// Whether `keys` holds the keys of the memory of the last `attend`.
    private var keysReady = false

    /// The keys `[Ts·B, H]` the scores read: the memory itself (`dot`), or its projection,
    /// made at the first call after `attend`. - Complexity: `O(Ts·B·M·H)` at that call.
    private func keysPointer() -> UnsafeMutablePointer<Float> {
        guard let keyProjection else { return memory.pointer }
        if !keysReady {
            keys.resize(memorySteps * batchSize * queryWidth)
            keyProjection.forward(memory.pointer, rows: memorySteps * batchSize, into: keys.pointer)
            keysReady = true
        }
        return keys.pointer
    }

    /// The scale and the row-major vector `v` of the additive score.
    private func withScoreVector<R>(_ body: (UnsafePointer<Float>) -> R) -> R {
        let v = scoreVector!
        return v.parameters.values.withUnsafeBufferPointer { body($0.baseAddress! + v.weight.offset) }
    }

    /// Masked softmax of `count` rows of `width` scores (stride `width`), each valid for its
    /// first `valid(row)` entries; the rest become 0.
    private static func softmax(_ x: UnsafeMutablePointer<Float>, rows count: Int, width: Int, valid: (Int) -> Int) {
        for r in 0..<count {
            let row = x + r * width, n = valid(r)
            var top = -Float.infinity
            for s in 0..<n { top = max(top, row[s]) }
            for s in 0..<n { row[s] -= top }
            Vector.exp(inPlace: row, count: n)  // the kernel's vector loop, not one call per score
            var sum: Float = 0
            for s in 0..<n { sum += row[s] }
            let inverse = 1 / sum
            for s in 0..<n { row[s] *= inverse }
            (row + n).update(repeating: 0, count: width - n)
        }
    }

    // MARK: - Teacher forcing: all steps at once

    /// `h̃` `[Tt·B, H]` for the decoder outputs `queries` `[Tt·B, H]`, after `attend`; keeps
    /// what `backward` needs. Returns a pointer into this object's workspace, valid until the
    /// next call.
    func forward(queries q: UnsafePointer<Float>, steps Tt: Int) -> UnsafeMutablePointer<Float> {
        let (H, M, B, Ts) = (queryWidth, memoryWidth, batchSize, memorySteps)
        let rows = Tt * B
        steps = Tt
        queries.resize(rows * H)
        queries.pointer.update(from: q, count: rows * H)
        weights.resize(B * Tt * Ts)
        joined.resize(rows * (M + H))
        let K = keysPointer(), Q = queries.pointer, A = weights.pointer, E = memory.pointer, X = joined.pointer
        if score == .additive {
            projectedQueries.resize(rows * H)
            queryProjection!.forward(Q, rows: rows, into: projectedQueries.pointer)
            pairs.resize(B * Tt * Ts * H)
            withScoreVector { v in
                for b in 0..<B {
                    for t in 0..<Tt {
                        let q = projectedQueries.pointer + (t * B + b) * H
                        for s in 0..<Ts {
                            let u = pairs.pointer + ((b * Tt + t) * Ts + s) * H
                            guard s < lengths[b] else {
                                u.update(repeating: 0, count: H)
                                continue
                            }
                            let k = K + (s * B + b) * H
                            for j in 0..<H { u[j] = q[j] + k[j] }
                            Vector.tanh(inPlace: u, count: H)
                            A[(b * Tt + t) * Ts + s] = BLAS.dot(count: H, u, v)
                        }
                    }
                }
            }
        } else {
            for b in 0..<B {
                BLAS.gemm(
                    .none, .transposed, m: Tt, n: lengths[b], k: H, a: Q + b * H, lda: B * H, b: K + b * H, ldb: B * H,
                    c: A + b * Tt * Ts, ldc: Ts)
            }
        }
        Self.softmax(A, rows: B * Tt, width: Ts) { lengths[$0 / Tt] }
        for b in 0..<B {
            BLAS.gemm(
                .none, .none, m: Tt, n: M, k: lengths[b], a: A + b * Tt * Ts, lda: Ts, b: E + b * M, ldb: B * M,
                c: X + b * (M + H), ldc: B * (M + H))
        }
        for r in 0..<rows { (X + r * (M + H) + M).update(from: Q + r * H, count: H) }
        states.resize(rows * H)
        combine.forward(X, rows: rows, into: states.pointer)
        Vector.tanh(inPlace: states.pointer, count: rows * H)
        stateGradient.resize(rows * H)
        return states.pointer
    }

    /// The weights `[B, Tt, Ts]` of the last `forward` (`[N, Ts]` after a `step`).
    func withWeights<R>(_ body: (UnsafeBufferPointer<Float>) -> R) -> R { body(UnsafeBufferPointer(weights.buffer)) }

    /// From d(loss)/d(h̃) in `stateGradient` (which it overwrites): accumulates the
    /// parameters' gradients, **adds** d(loss)/d(queries) into `queryGradient` `[Tt·B, H]`
    /// and writes d(loss)/d(memory) into `memoryGradient` `[Ts·B, M]`.
    func backward(addingQueryGradientTo dQ: UnsafeMutablePointer<Float>) {
        let (H, M, B, Ts, Tt) = (queryWidth, memoryWidth, batchSize, memorySteps, steps)
        let rows = Tt * B
        let dH = stateGradient.pointer, Hs = states.pointer
        for i in 0..<rows * H { dH[i] *= 1 - Hs[i] * Hs[i] }
        joinedGradient.resize(rows * (M + H))
        let dX = joinedGradient.pointer
        combine.backward(dH, input: joined.pointer, rows: rows, inputGradient: dX)
        for r in 0..<rows {
            let from = dX + r * (M + H) + M, to = dQ + r * H
            for j in 0..<H { to[j] += from[j] }
        }
        memoryGradient.resize(Ts * B * M)
        memoryGradient.zero()
        weightGradient.resize(B * Tt * Ts)
        let dE = memoryGradient.pointer, dA = weightGradient.pointer, A = weights.pointer, E = memory.pointer
        let K = keysPointer(), Q = queries.pointer
        if score != .dot {
            keyGradient.resize(Ts * B * H)
            keyGradient.zero()
        }
        if score == .additive {
            queryGradient.resize(rows * H)
            queryGradient.zero()
        }
        for b in 0..<B {
            let n = lengths[b], a = A + b * Tt * Ts, da = dA + b * Tt * Ts
            BLAS.gemm(
                .none, .transposed, m: Tt, n: n, k: M, a: dX + b * (M + H), lda: B * (M + H), b: E + b * M, ldb: B * M,
                c: da, ldc: Ts)
            BLAS.gemm(
                .transposed, .none, m: n, n: M, k: Tt, a: a, lda: Ts, b: dX + b * (M + H), ldb: B * (M + H), beta: 1,
                c: dE + b * M, ldc: B * M)
            // Softmax backward: dS = α ⊙ (dα − Σ_s α dα), in place over dα.
            for t in 0..<Tt {
                let p = a + t * Ts, g = da + t * Ts
                var inner: Float = 0
                for s in 0..<n { inner += p[s] * g[s] }
                for s in 0..<n { g[s] = p[s] * (g[s] - inner) }
            }
            switch score {
            case .dot, .general:
                BLAS.gemm(
                    .none, .none, m: Tt, n: H, k: n, a: da, lda: Ts, b: K + b * H, ldb: B * H, beta: 1, c: dQ + b * H,
                    ldc: B * H)
                let (target, beta): (UnsafeMutablePointer<Float>, Float) =
                    score == .dot ? (dE + b * M, 1) : (keyGradient.pointer + b * H, 0)
                BLAS.gemm(
                    .transposed, .none, m: n, n: H, k: Tt, a: da, lda: Ts, b: Q + b * H, ldb: B * H, beta: beta, c: target,
                    ldc: B * H)
            case .additive:
                additiveBackward(sequence: b, scoreGradient: da)
            }
        }
        if let keyProjection {
            keyProjection.backward(keyGradient.pointer, input: E, rows: Ts * B, inputGradient: dE, accumulate: true)
        }
        if let queryProjection {
            queryProjection.backward(queryGradient.pointer, input: Q, rows: rows, inputGradient: dQ, accumulate: true)
        }
    }

    /// `additive`: from d(loss)/d(scores) of sequence `b` (`[Tt, Ts]`, stride `Ts`), adds
    /// into `v`'s gradient and into the gradients of the projected queries and keys.
    private func additiveBackward(sequence b: Int, scoreGradient dS: UnsafePointer<Float>) {
        let (H, B, Ts, Tt, n) = (queryWidth, batchSize, memorySteps, steps, lengths[b])
        let v = scoreVector!
        withScoreVector { w in
            v.parameters.gradients.withUnsafeMutableBufferPointer { grads in
                let dv = grads.baseAddress! + v.weight.offset
                for t in 0..<Tt {
                    let dq = queryGradient.pointer + (t * B + b) * H
                    for s in 0..<n {
                        let g = dS[t * Ts + s], u = pairs.pointer + ((b * Tt + t) * Ts + s) * H
                        let dk = keyGradient.pointer + (s * B + b) * H
                        for j in 0..<H {
                            dv[j] += g * u[j]
                            let du = g * w[j] * (1 - u[j] * u[j])
                            dq[j] += du
                            dk[j] += du
                        }
                    }
                }
            }
        }
    }

    // MARK: - Decoding: one step of N rows

    /// Rows `s·B + b` of `x` (`[Ts·B, width]`) to rows `b·Ts + s` of `out`.
    private static func sourceOrder(
        _ x: UnsafePointer<Float>, steps Ts: Int, batchSize B: Int, width: Int, into out: UnsafeMutablePointer<Float>
    ) {
        for s in 0..<Ts {
            for b in 0..<B { (out + (b * Ts + s) * width).update(from: x + (s * B + b) * width, count: width) }
        }
    }

    /// Fills `sourceMemory` from the time-major memory. - Complexity: `O(Ts·B·M)`.
    private func makeSourceOrder() {
        guard !sourceOrderReady else { return }
        let (M, B, Ts) = (memoryWidth, batchSize, memorySteps)
        sourceMemory.resize(B * Ts * M)
        Self.sourceOrder(memory.pointer, steps: Ts, batchSize: B, width: M, into: sourceMemory.pointer)
        sourceOrderReady = true
    }

    /// Makes what saves work at every later step: the memory through `W_c[:, 0..<M]`
    /// (`sourceValues`), with which a step's `W_c [c; h]` is
    /// `Σ_s α(s) W_c[:, 0..<M] e_s + W_c[:, M...] h`, a product over `H` inputs per row
    /// instead of `M + H`; and for `general`, the keys `W_a e_s` in source order, with which
    /// a step scores `h · k_s` instead of projecting its queries `h W_a` first. Each costs
    /// one product over the memory and saves one of `M·H` per row, so the steps start
    /// without them and make them once they have run `Ts·B` rows (a rent-or-buy rule:
    /// never more than twice the cost of the better choice, however many steps follow) —
    /// or at the first step when the last batch's steps ran that many rows in all.
    /// - Complexity: `O(Ts·B·M·H)` per product.
    private func fold() {
        let (H, M, B, Ts) = (queryWidth, memoryWidth, batchSize, memorySteps)
        timeMajorValues.resize(Ts * B * H)
        combine.forward(memory.pointer, rows: Ts * B, ldx: M, columns: 0..<M, accumulating: false, into: timeMajorValues.pointer)
        sourceValues.resize(B * Ts * H)
        Self.sourceOrder(timeMajorValues.pointer, steps: Ts, batchSize: B, width: H, into: sourceValues.pointer)
        if score == .general {
            sourceKeys.resize(B * Ts * H)
            Self.sourceOrder(keysPointer(), steps: Ts, batchSize: B, width: H, into: sourceKeys.pointer)
        }
        folded = true
    }

    /// `h̃` `[N, H]` of one decoding step for the decoder outputs `queries` `[N, H]`, where
    /// row `r` attends to source `sources[r / rowsPerSource]` of the last `attend` (to source
    /// `r / rowsPerSource` without `sources`: all `B` of them). The step's weights
    /// `[N, Ts]` are then in `withWeights`. Returns a pointer into the workspace, valid until
    /// the next call. The first step after `attend` puts the memory in source order
    /// (`makeSourceOrder`); a later one may fold weights into it (`fold`).
    /// - Complexity: `O(N·Ts·(H + M) + N·(M + H)·H)`, `O(N·Ts·H + N·H²)` once folded, plus
    ///   `O(Ts·B·M·H)` for the fold; no allocation once `N` stops growing.
    func step(queries q: UnsafePointer<Float>, rows N: Int, rowsPerSource k: Int, sources: [Int]? = nil) -> UnsafeMutablePointer<Float> {
        let (H, M, B, Ts) = (queryWidth, memoryWidth, batchSize, memorySteps)
        precondition(N == (sources?.count ?? B) * k, "\(N) rows for \(sources?.count ?? B) sources of \(k) rows each")
        func source(_ r: Int) -> Int { sources?[r / k] ?? r / k }
        weights.resize(N * Ts)
        let A = weights.pointer
        makeSourceOrder()
        if !folded && (foldPaidLastTime || stepRows >= Ts * B) { fold() }
        stepRows += N
        if score == .additive {
            let K = keysPointer()
            projectedQueries.resize(N * H)
            queryProjection!.forward(q, rows: N, into: projectedQueries.pointer)
            queries.resize(H)
            withScoreVector { v in
                for r in 0..<N {
                    let b = source(r), pq = projectedQueries.pointer + r * H, u = queries.pointer
                    for s in 0..<lengths[b] {
                        let key = K + (s * B + b) * H
                        for j in 0..<H { u[j] = pq[j] + key[j] }
                        Vector.tanh(inPlace: u, count: H)
                        A[r * Ts + s] = BLAS.dot(count: H, u, v)
                    }
                }
            }
        }
        // A source's rows are scored against its keys once folded; before, against its
        // memory, `general`'s queries projected by `W_a` first (`additive` scored above).
        var (queryRows, keyRows, keyWidth) = (q, UnsafePointer(sourceMemory.pointer), M)
        if score == .general && folded {
            (keyRows, keyWidth) = (UnsafePointer(sourceKeys.pointer), H)
        } else if score == .general {
            projectedQueries.resize(N * M)
            keyProjection!.transposedForward(q, rows: N, into: projectedQueries.pointer)
            queryRows = UnsafePointer(projectedQueries.pointer)
        }
        // The contexts `Σ_s α(s) v_s` of the memory through `W_c[:, 0..<M]` once folded, of
        // the memory itself before (into the combine's input `[c; h]`).
        let (values, valueWidth) = folded ? (UnsafePointer(sourceValues.pointer), H) : (UnsafePointer(sourceMemory.pointer), M)
        states.resize(N * H)
        let Y = states.pointer
        if !folded { joined.resize(N * (M + H)) }
        let (contexts, ldc) = folded ? (Y, H) : (joined.pointer, M + H)
        // Source by source, so that its block of the memory is read from the cache by its
        // k rows' scores and contexts alike.
        for i in 0..<(N / k) {
            let rows = i * k, b = source(rows), n = lengths[b]
            if score != .additive {
                RowProduct.dots(
                    rows: k, queryRows + rows * keyWidth, ldx: keyWidth, against: keyRows + b * Ts * keyWidth, ldw: keyWidth,
                    into: A + rows * Ts, ldy: Ts, k: keyWidth, n: n)
            }
            Self.softmax(A + rows * Ts, rows: k, width: Ts) { _ in n }
            for r in rows..<(rows + k) { (contexts + r * ldc).update(repeating: 0, count: valueWidth) }
            RowProduct.accumulate(
                rows: k, A + rows * Ts, ldx: Ts, values + b * Ts * valueWidth, ldw: valueWidth, into: contexts + rows * ldc,
                ldy: ldc, k: n, n: valueWidth)
        }
        if folded {
            combine.forward(q, rows: N, ldx: H, columns: M..<(M + H), accumulating: true, into: Y)
        } else {
            let X = joined.pointer
            for r in 0..<N { (X + r * (M + H) + M).update(from: q + r * H, count: H) }
            combine.forward(X, rows: N, into: Y)
        }
        Vector.tanh(inPlace: Y, count: N * H)
        return states.pointer
    }
}
