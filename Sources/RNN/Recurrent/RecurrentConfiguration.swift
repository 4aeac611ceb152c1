import Linalg

/// A named tensor's shape before any store holds it: the layout a model registers, and the
/// tensors a checkpoint must hold for it.
public struct ParameterShape: Equatable, Sendable {
    /// PyTorch's `state_dict` name, e.g. `rnn.weight_hh_l0`.
    public let name: String
    public let shape: [Int]

    package init(name: String, shape: [Int]) {
        self.name = name
        self.shape = shape
    }

    /// The number of elements.
    public var count: Int { shape.reduce(1, *) }
}

/// The recurrent part of a model: the cell, `H`, `L` and the vanilla RNN's activation.
/// Its `parameterShapes` are what `RecurrentStack` registers, in that order, so a
/// checkpoint's expected tensors, the parameter counts and the FLOP estimate all come
/// from this one description.
///
/// `Codable`: checkpoints store it inside their model's configuration JSON (`cell`,
/// `hiddenSize`, `numLayers`, `nonlinearity`, `bidirectional`); format versions 1–3 used
/// separate metadata keys (`RNNTraining`'s `VersionThreeMetadata` reads them).
public struct RecurrentConfiguration: Equatable, Sendable, Codable {
    public var cell: RecurrentCell
    public var hiddenSize: Int
    public var numLayers: Int
    /// The vanilla RNN's activation; `.tanh` (unused) for GRU and LSTM.
    public var nonlinearity: Nonlinearity
    /// Each layer also reads its input backwards, with its own parameters
    /// (`torch.nn.LSTM(bidirectional=True)`; see `RecurrentStack`).
    public var bidirectional: Bool

    public init(
        cell: RecurrentCell = .rnn, hiddenSize: Int, numLayers: Int = 1, nonlinearity: Nonlinearity = .tanh,
        bidirectional: Bool = false
    ) {
        precondition(cell == .rnn || nonlinearity == .tanh, "the nonlinearity applies to the vanilla RNN only, not \(cell)")
        self.cell = cell
        self.hiddenSize = hiddenSize
        self.numLayers = numLayers
        self.nonlinearity = nonlinearity
        self.bidirectional = bidirectional
    }

    /// 1, or 2 when bidirectional.
    public var directions: Int { bidirectional ? 2 : 1 }

    /// The width of a layer's output (and of the input of the layers above it): `D·H`.
    public var outputWidth: Int { directions * hiddenSize }

    /// The largest `hidden_size` and `num_layers` a checkpoint may declare.
    public static let maximumHiddenSize = 1 << 20
    public static let maximumLayers = 1024
    /// The largest input, output or vocabulary size a checkpoint may declare.
    public static let maximumInputSize = 1 << 24

    /// What makes these values unusable (a damaged or hostile file's), or nil: `H` in
    /// `1...maximumHiddenSize`, `L` in `1...maximumLayers`, a nonlinearity other than tanh
    /// only for the vanilla RNN — checked before a stack is built.
    public var problem: String? {
        if !(1...Self.maximumHiddenSize).contains(hiddenSize) {
            return "hidden size \(hiddenSize) is outside 1...\(Self.maximumHiddenSize)"
        }
        if !(1...Self.maximumLayers).contains(numLayers) { return "num_layers \(numLayers) is outside 1...\(Self.maximumLayers)" }
        if cell != .rnn && nonlinearity != .tanh {
            return "the nonlinearity \(nonlinearity.rawValue) applies to the vanilla RNN only, not \(cell)"
        }
        return nil
    }

    /// `problem` for a size that must be in `1...maximumInputSize`.
    package static func sizeProblem(_ name: String, _ size: Int) -> String? {
        (1...maximumInputSize).contains(size) ? nil : "\(name) \(size) is outside 1...\(maximumInputSize)"
    }

    /// The stack of this configuration over inputs of `inputSize`, registered in `parameters`.
    public func makeStack(inputSize: Int, parameters: ParameterStore, prefix: String) -> RecurrentStack {
        RecurrentStack.make(
            cell, inputSize: inputSize, hiddenSize: hiddenSize, numLayers: numLayers,
            nonlinearity: nonlinearity, bidirectional: bidirectional, parameters: parameters, prefix: prefix)
    }

    /// Per layer `k` and direction: `weight_ih_l{k}` [G·H, I_k] (`I_0` the input size,
    /// then `D·H`), `weight_hh_l{k}` [G·H, H], and with `bias` `bias_ih_l{k}`,
    /// `bias_hh_l{k}` [G·H], the reverse direction's with the suffix `_reverse` —
    /// PyTorch's names and order.
    public func parameterShapes(inputSize: Int, prefix: String, bias: Bool = true) -> [ParameterShape] {
        let gH = cell.gateCount * hiddenSize
        var shapes: [ParameterShape] = []
        for k in 0..<numLayers {
            for suffix in bidirectional ? ["", "_reverse"] : [""] {
                shapes.append(.init(name: "\(prefix)weight_ih_l\(k)\(suffix)", shape: [gH, k == 0 ? inputSize : outputWidth]))
                shapes.append(.init(name: "\(prefix)weight_hh_l\(k)\(suffix)", shape: [gH, hiddenSize]))
                if bias {
                    shapes.append(.init(name: "\(prefix)bias_ih_l\(k)\(suffix)", shape: [gH]))
                    shapes.append(.init(name: "\(prefix)bias_hh_l\(k)\(suffix)", shape: [gH]))
                }
            }
        }
        return shapes
    }

    /// Number of `[B, H]` blocks in the state: `parts · L · D`.
    public var stateBlocks: Int { cell.stateParts * numLayers * directions }

    /// `G·H²`, one layer's `W_hh`.
    public var recurrentWeightCount: Int { cell.gateCount * hiddenSize * hiddenSize }

    /// Training FLOPs per token (one row of the `[T*B, ·]` matrices) of the stack, from the
    /// GEMMs a step performs (multiply-add = 2; `G` gate blocks make every recurrent GEMM
    /// `G` times the vanilla one):
    /// - layer 0 with token input (the input projection is a gather, `dW_ih` a scatter-add,
    ///   no `dX`): forward `h W_hhᵀ`, backward `dA W_hh`, `dW_hh` — **6GH²**; with dense
    ///   input of width `I`, also `X W_ihᵀ` and `dW_ih` — **4GHI** more;
    /// - each further layer: input GEMM, recurrence, backward recurrence, `dW_hh`, `dW_ih`,
    ///   `dX`, 2GH² each — **12GH²**;
    /// - bidirectional: all of it per direction, and the input GEMMs above layer 0 read
    ///   2H: **2·(6GH² + 18GH²(L−1))** (+ 8GHI for dense input).
    ///
    /// Elementwise work is not counted (O(GH) per token).
    public func trainingFlopsPerToken(tokenInput: Bool, inputSize: Int) -> Double {
        let G = Double(cell.gateCount), H = Double(hiddenSize), L = Double(numLayers), D = Double(directions)
        let firstInput = tokenInput ? 0 : 4 * G * H * Double(inputSize)
        return D * (G * (6 * H * H + 6 * H * H * (D + 1) * (L - 1)) + firstInput)
    }

    /// The floats a stack of this configuration holds after a training step (a forward
    /// and a backward) of `B` sequences of `T` steps over inputs of `inputSize` (token ids
    /// when `tokenInput`), with `dropout` between its layers: its workspace — every
    /// activation and scratch buffer, as one `WorkspaceLayout` sizes them — and the
    /// prepared weights its plan makes on one thread (each `W_hhᵀ`, the token tables, for
    /// a single step each `W_ihᵀ`), and in bf16 the activations' bits it rounds once for
    /// several products (the states, the gate gradients). A memory check can refuse a
    /// model with it before anything is allocated; a test holds it equal to what a stack
    /// holds. A team's packed shares for inference come on top (`inferenceCacheFloats`), as
    /// do the bf16 copies of the weights (`ModelConfiguration.precisionCopyFloats`).
    /// - Complexity: O(L).
    public func trainingWorkspaceFloats(
        inputSize I: Int, tokenInput: Bool, steps T: Int, batchSize B: Int,
        dropout: Bool = false, bias: Bool = true, precision: Precision = .fp32
    ) -> Int {
        WorkspaceLayout(
            self, inputSize: I, tokenInput: tokenInput, steps: T, batchSize: B, dropout: dropout, bias: bias,
            precision: precision
        )
        .totalFloats
            + InferencePlan.floats(self, inputSize: I, tokenInput: tokenInput, steps: T, threads: 1)
    }

    /// The floats of the prepared weights inference adds for a team of `threads` to a
    /// training step's (`trainingWorkspaceFloats`), for the single steps of a sampler:
    /// each `W_ihᵀ` above a token layer and, on more than one thread, the packed shares of
    /// those and of each `W_hhᵀ`. - Complexity: O(L).
    public func inferenceCacheFloats(inputSize I: Int, tokenInput: Bool, threads: Int) -> Int {
        InferencePlan.floats(self, inputSize: I, tokenInput: tokenInput, steps: 1, threads: threads)
            - InferencePlan.floats(self, inputSize: I, tokenInput: tokenInput, steps: 2, threads: 1)
    }

    /// `cell rnn, hidden_size 6, num_layers 2`, for error messages.
    public var summary: String {
        "cell \(cell), hidden_size \(hiddenSize), num_layers \(numLayers)" + (bidirectional ? ", bidirectional" : "")
    }
}

extension RecurrentStack {
    /// This stack's configuration.
    public var configuration: RecurrentConfiguration {
        RecurrentConfiguration(
            cell: cell, hiddenSize: hiddenSize, numLayers: numLayers,
            nonlinearity: vanillaNonlinearity ?? .tanh, bidirectional: isBidirectional)
    }
}

extension Linear {
    /// `weight` [O, I] and, with `bias`, `bias` [O]: what `Linear` registers.
    public static func parameterShapes(inputSize: Int, outputSize: Int, prefix: String, bias: Bool = true) -> [ParameterShape] {
        [.init(name: "\(prefix)weight", shape: [outputSize, inputSize])]
            + (bias ? [.init(name: "\(prefix)bias", shape: [outputSize])] : [])
    }
}
