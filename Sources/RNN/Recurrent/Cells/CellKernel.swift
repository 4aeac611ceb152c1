import Linalg

/// The per-step math of one kind of recurrent cell — vanilla, GRU, LSTM — and nothing
/// else: a step's forward on a batch slice whose `[B, G·H]` block already holds the
/// input projection, and a step's backward from d(loss)/d(h_t) to the gate gradients.
/// The walk over the steps, the carry product, the thread split and every buffer belong
/// to the direction that calls it (`RecurrentStack`'s layer-directions), the sizes of
/// those buffers to the workspace (`WorkspaceLayout`, from `buffers`).
///
/// Adding a cell is a type of this protocol, a case of `RecurrentCell` that names it
/// (`RecurrentCell.kernel`), and its parameter count (`gateCount`): the stack, the
/// bidirectional layers, the workspace, checkpoints and PyTorch's names follow
/// (docs/ARCHITECTURE.md, "Adding a cell").
protocol CellKernel {
    /// The kind it computes: `gateCount` blocks of `H` in the weights, `stateParts`.
    var kind: RecurrentCell { get }
    /// What it keeps of a forward and needs as scratch.
    var buffers: CellBuffers { get }
    /// Whether `b_hh` joins the input projection (false for GRU, whose `b_hn` sits
    /// inside the reset product and is added by its step).
    var hiddenBiasInProjection: Bool { get }
    /// Where the input projections `[T*B, G·H]` of a layer-direction go: the gates, or
    /// for a cell that keeps none the `h` rows after the initial one (activated in place).
    func projectionTarget(_ activations: DirectionActivations, batchSize B: Int, hidden H: Int) -> UnsafeMutablePointer<Float>
    /// Step `t` of a forward for `share`'s rows and units: adds the recurrent product
    /// (`pass.accumulateRecurrentProduct`) and applies the gates, writing the state parts
    /// of block `t + 1` (and whatever the cell keeps for its backward).
    func forwardStep(_ t: Int, _ share: StepShare, _ pass: ForwardPass)
    /// Step `t` of a backward: d(loss)/d(h_t) at `pass.outputGradient` row block `t` (with
    /// every carry in) to the gate gradients of step `t` — `pass.inputSideGradient` and
    /// `pass.hiddenSideGradient` — and, for a cell with `addsToPreviousStateGradient`,
    /// its own share of d(loss)/d(h_{t-1}) into `previous` (the caller then adds the
    /// carry product `hiddenSide_t · W_hh`).
    func backwardStep(_ t: Int, _ pass: BackwardPass, previous: UnsafeMutablePointer<Float>)
    /// After step 0 of a backward: the gradients of state parts beyond `h` (the LSTM's
    /// `c`) into `pass.initialStateGradient(_:)`.
    func finishBackward(_ pass: BackwardPass)
    /// Whether `backwardStep` writes its gate gradients in the forms `pass.forms` asks for
    /// (floats, bf16 bits, bias sums, token rows) in its one pass; otherwise it writes the
    /// floats, and the walk rounds them step by step and the weight gradients sum and
    /// scatter them.
    var makesGateGradientForms: Bool { get }
}

extension CellKernel {
    func finishBackward(_ pass: BackwardPass) {}
    var makesGateGradientForms: Bool { false }
}

/// The buffers a cell needs beyond a layer-direction's `h` states and output gradient,
/// in blocks of `H` floats per row: what `WorkspaceLayout` sizes for it.
struct CellBuffers: Equatable {
    /// Activated gates kept per step, `[T*B, gateBlocks·H]` per layer-direction (0: the
    /// projection goes into the `h` rows).
    var gateBlocks = 0
    /// One more `[T*B, H]` per layer-direction kept for the backward (GRU: `W_hn h + b_hn`;
    /// LSTM: `tanh(c)`).
    var keepsAuxiliary = false
    /// Forward scratch `[B, stepScratchBlocks·H]` (GRU: the hidden side of a step).
    var stepScratchBlocks = 0
    /// Backward scratch `[T*B, gateGradientBlocks·H]` for the gate gradients (0: they are
    /// made in place in the output gradient, the vanilla RNN's).
    var gateGradientBlocks = 0
    /// A second `[T*B, G·H]` for the hidden side's gate gradients, when they differ from
    /// the input side's (GRU's reset product); else both sides are one matrix and the two
    /// bias gradients share one column sum.
    var separateHiddenSide = false
    /// Backward scratch `[B, H]` for a carried state part beyond `h` (LSTM: `dc`).
    var carriesCellGradient = false
    /// Whether `backwardStep` writes its own part of d(loss)/d(h_{t-1}) (GRU: `dh·z`), so
    /// the carry product adds to it even at step 0.
    var addsToPreviousStateGradient = false
}

/// What a cell's forward step reads and writes for one layer-direction, fixed for the
/// walk over its steps: the layer-direction's activations (the gates holding the input
/// projections, which the steps activate), the step scratch and the prepared recurrent
/// weight.
struct ForwardPass {
    let batchSize: Int
    let hidden: Int
    let activations: ActivationPointers
    /// `[B, stepScratchBlocks·H]`.
    let stepScratch: UnsafeMutablePointer<Float>?
    /// `b_hh` `[G·H]`, when the stack has biases.
    let hiddenBias: UnsafePointer<Float>?
    let recurrentWeight: PreparedWeight
    let schedule: StepSchedule
    let profiler: PhaseProfiler?
    /// The steps' products, one per thread of the team (`RecurrentStack.products`).
    let products: ThreadProducts
    /// In bf16 on one thread, the bits of the states `[(T+1)*B, H]`: each step rounds the
    /// block it reads (`h_{t-1}`, row block `t`) into it, for its own product and the
    /// backward's and the layer above's (`RecurrentWorkspace.roundedStates`).
    let roundedStates: RoundedActivation?

    /// `c[rows, units] += h_{t-1} W_hhᵀ` over `share` (`c` `[B, G·H]` at row 0).
    @inline(__always)
    func accumulateRecurrentProduct(step t: Int, into c: UnsafeMutablePointer<Float>, share: StepShare) {
        let x = activations.states + t * batchSize * hidden
        var operand = PrecisionGEMM.Operand.activation
        if let roundedStates {
            let rows = share.rows
            roundedStates.round(x + rows.lowerBound * hidden, ld: hidden, rows: rows.count, at: t * batchSize + rows.lowerBound)
            operand = .rounded(roundedStates, row: t * batchSize)
        }
        schedule.accumulateGateProducts(
            x, ldx: hidden, depth: hidden, recurrentWeight, into: c, share: share, products: products[share.thread],
            xOperand: operand)
    }
}

/// What a cell's backward step reads and writes for one layer-direction.
struct BackwardPass {
    let steps: Int
    let batchSize: Int
    let hidden: Int
    /// The activations of the forward (its gates activated).
    let activations: ActivationPointers
    /// d(loss)/d(h) `[T*B, H]`, every carry added as the walk comes to it.
    let outputGradient: UnsafeMutablePointer<Float>
    /// The gate gradients `[T*B, G·H]` of the input side and of the hidden side (the same
    /// matrix unless `CellBuffers.separateHiddenSide`).
    let inputSideGradient: UnsafeMutablePointer<Float>
    let hiddenSideGradient: UnsafeMutablePointer<Float>
    /// `[B, H]` (`CellBuffers.carriesCellGradient`).
    let cellGradient: UnsafeMutablePointer<Float>?
    /// The stack's d(loss)/d(initial state) `[parts, L·D, B, H]`.
    let initialStateGradients: UnsafeMutablePointer<Float>
    /// The backward's final-state gradient `[parts, L·D, B, H]`, if it was given one.
    let finalState: FinalStateGradient?
    /// Where the gate gradients go beyond the floats, for a cell that makes their forms
    /// itself (`CellKernel.makesGateGradientForms`; the others write the floats).
    let forms: GateGradientForms
    /// This layer-direction `k` of `layerDirections`.
    let layerDirection: Int
    let layerDirections: Int
    let profiler: PhaseProfiler?

    /// d(loss)/d(initial state part `p`) `[B, H]` of this layer-direction.
    func initialStateGradient(_ p: Int) -> UnsafeMutablePointer<Float> {
        initialStateGradients + (p * layerDirections + layerDirection) * batchSize * hidden
    }

    /// Calls `body(b, row)` with the final-state gradient's part-`p` row `[H]` of each
    /// sequence `b` whose last step is `t` (none without a final-state gradient).
    func forEachFinalStateRow(part p: Int, step t: Int, _ body: (Int, UnsafePointer<Float>) -> Void) {
        guard let finalState else { return }
        finalState.values.withUnsafeBufferPointer { g in
            for b in 0..<batchSize where (finalState.lengths?[b] ?? steps) - 1 == t {
                body(b, g.baseAddress! + ((p * layerDirections + layerDirection) * batchSize + b) * hidden)
            }
        }
    }
}

/// The forms a backward walk needs of its gate gradients `[T*B, G·H]` (of its input side
/// and its hidden side, for a cell that keeps them apart), which a cell with
/// `CellKernel.makesGateGradientForms` writes in its step's one pass.
struct GateGradientForms {
    /// Whether the cell's steps make these forms (else they write the floats alone, and
    /// the weight gradients sum and gather them).
    var madeBySteps = false
    /// Whether the floats are written (`BackwardPass.inputSideGradient` and
    /// `hiddenSideGradient`): read by fp32 products and by bf16 products that round their
    /// own operands (`RecurrentStack.readsRoundedCopies` off).
    var floats = true
    /// In bf16, the hidden side's bits at row 0, rounded once for the carry product and
    /// the weight gradients (`RecurrentWorkspace.roundedHiddenSide`).
    var bits: UnsafeMutablePointer<UInt16>? = nil
    /// In bf16, for a cell whose sides differ, the input side's bits at row 0
    /// (`RecurrentWorkspace.roundedInputSide`; none over token input, which no product
    /// reads them for).
    var inputBits: UnsafeMutablePointer<UInt16>? = nil
    /// With biases, `[G·H]` column sums over every step, added step by step (zeroed
    /// before the walk; `RecurrentWorkspace.biasGradientSums`): the input side's, which
    /// for a cell with one matrix is both biases' gradient.
    var sums: UnsafeMutablePointer<Float>? = nil
    /// With biases, for a cell whose sides differ, the hidden side's column sums.
    var hiddenSums: UnsafeMutablePointer<Float>? = nil
    /// Over token input, the tokens `[T*B]` (in the direction's order) and the `[V, G·H]`
    /// table (zeroed before the walk) that each step's input-side rows are added into, by
    /// token: `dW_ih` transposed (`RecurrentWorkspace.tokenWeightGradient`).
    var tokens: UnsafePointer<Int32>? = nil
    var tokenTable: UnsafeMutablePointer<Float>? = nil
}

extension RecurrentCell {
    /// The math of this kind of cell (`nonlinearity` is the vanilla cell's).
    func kernel(nonlinearity: Nonlinearity = .tanh) -> any CellKernel {
        switch self {
        case .rnn: return VanillaCellKernel(nonlinearity: nonlinearity)
        case .gru: return GRUCellKernel()
        case .lstm: return LSTMCellKernel()
        }
    }
}
