import Linalg

/// A fully connected layer `y = x Wᵀ + b` applied to all rows at once, with PyTorch's
/// `nn.Linear` parameters `weight` [O, I] and `bias` [O].
///
/// ```swift
/// let fc = Linear(inputSize: 12, outputSize: 17, parameters: store, prefix: "fc.")
/// let y = fc.forward(h)          // h: [N, 12] -> y: [N, 17]
/// ```
/// - Complexity: forward `O(N·I·O)` (one GEMM; a single row: `RowProduct` over `Wᵀ`,
///   prepared once per parameter version); backward two GEMMs of the same size.
public final class Linear {
    public let inputSize: Int
    public let outputSize: Int
    public let hasBias: Bool
    public let parameters: ParameterStore
    let weight: TensorSlot
    let bias: TensorSlot?
    /// Whether `weight` belongs to another layer (`init(sharing:)`): `initialize` leaves it.
    public private(set) var isWeightShared = false
    /// `Wᵀ` `[I, O]` for the product of a single row (a sampled token's logits), which
    /// `RowProduct` reads once; made again when the parameters have changed since.
    private let transposedWeight = PreparedTranspose()
    /// In bf16, `Wᵀ` in pairs of rows, for the bf16 `RowProduct` of a single row.
    private let transposedPairs = PreparedPairs()
    /// The threads `forward` splits its rows across (nil: the calling thread's GEMM), as
    /// `RecurrentStack.team` does its steps: for evaluation, where a word model's output
    /// layer (`V ≫ H`) is most of the work.
    public var team: WorkerTeam?
    /// The products in the layer's precision (`setPrecision`), one per thread of the `team`.
    private(set) var products = ThreadProducts.initial
    /// The calling thread's products.
    private var gemms: PrecisionGEMM { products[0] }
    /// In bf16, `backward`'s `dY` rounded once for its two products.
    private let roundedOutputGradient = RoundedActivation()

    /// Whether the bf16 products read rounded copies (`RecurrentStack.readsRoundedCopies`;
    /// false rounds every operand at each product: the bits the copies must reproduce, for
    /// tests). Reset by `setPrecision`.
    package var readsRoundedCopies: Bool {
        get { products.readsRoundedCopies }
        set { products.readsRoundedCopies = newValue }
    }

    /// The arithmetic of the layer's products (`fp32` unless `setPrecision` chose `bf16`).
    public var precision: Precision { products.precision }

    /// Runs later products in `precision` (in `bf16`: bf16 operands, the weight rounded
    /// once per parameter version, float accumulation and results).
    /// - Throws: `PrecisionError` where the CPU has no bf16 hardware; nothing changes.
    public func setPrecision(_ precision: Precision) throws(PrecisionError) {
        try precision.check()
        if precision != self.precision { products = .of(precision) }
    }

    public init(inputSize: Int, outputSize: Int, bias: Bool = true, parameters: ParameterStore, prefix: String = "fc.") {
        precondition(inputSize > 0 && outputSize > 0, "Linear needs positive sizes, got \(inputSize) -> \(outputSize)")
        self.inputSize = inputSize
        self.outputSize = outputSize
        self.hasBias = bias
        self.parameters = parameters
        let slots = Linear.parameterShapes(inputSize: inputSize, outputSize: outputSize, prefix: prefix, bias: bias)
            .map { parameters.register($0.name, shape: $0.shape) }
        weight = slots[0]
        self.bias = bias ? slots[1] : nil
    }

    /// A layer whose weight is an existing tensor of `parameters` (tied weights: an
    /// embedding's `[V, E]` serves as the output layer's `[O, I]`); only `bias` [O] is
    /// registered, under `prefix`. Both uses' gradients add into the shared tensor's.
    public init(sharing weight: TensorSlot, bias: Bool = true, parameters: ParameterStore, prefix: String = "fc.") {
        precondition(weight.shape.count == 2 && weight.count > 0, "a shared Linear weight is [O, I], got \(weight.shape)")
        outputSize = weight.shape[0]
        inputSize = weight.shape[1]
        hasBias = bias
        self.parameters = parameters
        self.weight = weight
        self.bias = bias ? parameters.register("\(prefix)bias", shape: [outputSize]) : nil
        isWeightShared = true
    }

    /// `y = x Wᵀ + b` with `x` `[rows, I]` and `y` `[rows, O]` (pointer form, no allocation).
    public func forward(_ x: UnsafePointer<Float>, rows: Int, into y: UnsafeMutablePointer<Float>) {
        forward(x, rows: rows, reading: .activation, into: y)
    }

    /// `forward`, its products reading `x` as `input` says (in bf16: bits a stack's
    /// forward rounded already, rather than rounding `x` again).
    func forward(
        _ x: UnsafePointer<Float>, rows: Int, reading input: PrecisionGEMM.Operand, into y: UnsafeMutablePointer<Float>
    ) {
        let I = inputSize, O = outputSize
        parameters.values.withUnsafeBufferPointer { values in
            let w = values.baseAddress!
            if let bias {
                for r in 0..<rows { (y + r * O).update(from: w + bias.offset, count: O) }
            }
            if rows == 1 {
                if bias == nil { y.update(repeating: 0, count: O) }
                let version = parameters.version
                let wT = transposedWeight.of(w + weight.offset, rows: O, cols: I, version: version)
                if precision == .bf16 {
                    let pairs = transposedPairs.of(wT, depth: I, width: O, version: version)
                    RowProduct.accumulate(x, pairs: pairs, ldw: O, into: y, k: I, n: O)
                } else {
                    RowProduct.accumulate(x, wT, ldw: O, into: y, k: I, n: O)
                }
                return
            }
            let split = team.map { $0.size > 1 && rows >= 2 * $0.size } ?? false
            if split, let team { products.reserve(threads: team.size) }
            func gemm(_ r: Range<Int>, thread: Int) {
                guard !r.isEmpty else { return }
                products[thread].gemm(
                    .none, .transposed, m: r.count, n: O, k: I, a: x + r.lowerBound * I, lda: I,
                    input.advanced(by: r.lowerBound), b: w + weight.offset, ldb: I, .weight(version: parameters.version),
                    beta: bias == nil ? 0 : 1,
                    c: y + r.lowerBound * O, ldc: O)
            }
            if split, let team {
                team.run { rank in gemm(team.share(of: rows, rank: rank), thread: rank) }
            } else {
                gemm(0..<rows, thread: 0)
            }
        }
    }

    /// The layer's weight on a slice of its input, without the bias: `y = x W[:, columns]ᵀ`,
    /// or `y += …` when `accumulating` — for a caller that applies the rest of the weight
    /// elsewhere (attention folds its context's part into the memory ahead of the steps).
    /// `x` is `[rows, columns.count]` (row stride `ldx`), `y` `[rows, O]`; one thread.
    /// - Complexity: `O(rows·columns.count·O)`.
    func forward(
        _ x: UnsafePointer<Float>, rows: Int, ldx: Int, columns: Range<Int>, accumulating: Bool,
        into y: UnsafeMutablePointer<Float>
    ) {
        precondition(columns.lowerBound >= 0 && columns.upperBound <= inputSize, "columns \(columns) of \(inputSize)")
        parameters.values.withUnsafeBufferPointer { values in
            gemms.gemm(
                .none, .transposed, m: rows, n: outputSize, k: columns.count, a: x, lda: ldx, .activation,
                b: values.baseAddress! + weight.offset + columns.lowerBound, ldb: inputSize, .weight(version: parameters.version),
                beta: accumulating ? 1 : 0, c: y, ldc: outputSize)
        }
    }

    /// The weight applied from the output side, without the bias: `x = y W` with `y`
    /// `[rows, O]` and `x` `[rows, I]` — what `general` attention's decoding steps use to
    /// bring a query to the memory's space (`h W_a`) rather than every memory row to the
    /// query's. One thread. - Complexity: `O(rows·O·I)`.
    func transposedForward(_ y: UnsafePointer<Float>, rows: Int, into x: UnsafeMutablePointer<Float>) {
        parameters.values.withUnsafeBufferPointer { values in
            gemms.gemm(
                .none, .none, m: rows, n: inputSize, k: outputSize, a: y, lda: outputSize, .activation,
                b: values.baseAddress! + weight.offset, ldb: inputSize, .weight(version: parameters.version), c: x,
                ldc: inputSize)
        }
    }

    /// Accumulates `dW += dYᵀ x`, `db += colsum(dY)`, and writes (or with
    /// `accumulate`, adds) `dX = dY W` into `dx` when given.
    public func backward(
        _ dy: UnsafePointer<Float>, input x: UnsafePointer<Float>, rows: Int,
        inputGradient dx: UnsafeMutablePointer<Float>?, accumulate: Bool = false
    ) {
        backward(dy, input: x, reading: .activation, rows: rows, inputGradient: dx, accumulate: accumulate)
    }

    /// `backward`, `dW`'s product reading `x` as `input` says (as `forward(_:rows:reading:into:)`).
    /// In bf16 `dY` is rounded once for both products when `dX` is wanted.
    /// - Complexity: `O(rows·I·O)`, plus in bf16 `O(rows·O)` to round `dY`.
    func backward(
        _ dy: UnsafePointer<Float>, input x: UnsafePointer<Float>, reading input: PrecisionGEMM.Operand, rows: Int,
        inputGradient dx: UnsafeMutablePointer<Float>?, accumulate: Bool = false
    ) {
        let I = inputSize, O = outputSize
        var outputGradient = PrecisionGEMM.Operand.activation
        if precision == .bf16, dx != nil {
            roundedOutputGradient.prepare(rows: rows, cols: O)
            roundedOutputGradient.round(dy, ld: O, rows: rows, at: 0)
            outputGradient = .rounded(roundedOutputGradient, row: 0)
        }
        parameters.values.withUnsafeBufferPointer { values in
            parameters.gradients.withUnsafeMutableBufferPointer { grads in
                let w = values.baseAddress!, g = grads.baseAddress!
                gemms.gemm(
                    .transposed, .none, m: O, n: I, k: rows, a: dy, lda: O, outputGradient, b: x, ldb: I, input,
                    beta: 1, c: g + weight.offset, ldc: I)
                if let bias { Vector.addColumnSums(of: dy, rows: rows, cols: O, into: g + bias.offset) }
                if let dx {
                    gemms.gemm(
                        .none, .none, m: rows, n: I, k: O, a: dy, lda: O, outputGradient, b: w + weight.offset, ldb: I,
                        .weight(version: parameters.version), beta: accumulate ? 1 : 0, c: dx, ldc: I)
                }
            }
        }
    }

    /// `x Wᵀ + b` for a matrix `x` `[rows, I]` (allocating convenience).
    public func forward(_ x: Matrix) -> Matrix {
        precondition(x.cols == inputSize, "Linear expects [N, \(inputSize)], got [\(x.rows), \(x.cols)]")
        var y = Matrix(rows: x.rows, cols: outputSize)
        x.storage.withUnsafeBufferPointer { px in
            y.storage.withUnsafeMutableBufferPointer { py in forward(px.baseAddress!, rows: x.rows, into: py.baseAddress!) }
        }
        return y
    }

    /// Accumulates parameter gradients for `forward(x)` given `dY` and returns `dX` `[rows, I]`.
    @discardableResult
    public func backward(_ dy: Matrix, input x: Matrix) -> Matrix {
        precondition(
            dy.rows == x.rows && dy.cols == outputSize && x.cols == inputSize,
            "Linear.backward: dY [\(dy.rows), \(dy.cols)] and x [\(x.rows), \(x.cols)] do not fit [\(outputSize), \(inputSize)]")
        var dx = Matrix(rows: x.rows, cols: inputSize)
        dy.storage.withUnsafeBufferPointer { pdy in
            x.storage.withUnsafeBufferPointer { px in
                dx.storage.withUnsafeMutableBufferPointer { pdx in
                    backward(pdy.baseAddress!, input: px.baseAddress!, rows: x.rows, inputGradient: pdx.baseAddress!)
                }
            }
        }
        return dx
    }
}
