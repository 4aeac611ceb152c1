import RNN

/// The inputs and outputs every exported sequence graph shares, so that code written for
/// one model carries over to the others:
///
/// - `tokens` int64 `[T, B]` (time-major, as the library) or `inputs` float `[T, B, I]`;
/// - `lengths` int32 `[B]`, optional: each sequence's length, where the reverse direction
///   of a bidirectional layer starts and where the final state is read (default, and any
///   0: all `T` steps);
/// - `h0` (and for the LSTM `c0`) float `[L·D, B, H]`, optional: the initial state, block
///   `layer·D + direction` as PyTorch's `h_0` (default zeros);
/// - outputs `logits` (the model's outputs) first, then `hn` (and `cn`) `[L·D, B, H]`, the
///   state after each sequence's last step, to feed back as `h0`/`c0`.
///
/// An optional input is an input with an initializer of the same name (its default): a
/// runtime may leave it out. The defaults have batch size 1 and are broadcast to `B`.
extension GraphBuilder {
    /// The names of the state inputs and outputs of a cell: `h0`/`hn`, and `c0`/`cn`.
    static func stateNames(_ cell: RecurrentCell) -> (inputs: [String], outputs: [String]) {
        cell == .lstm ? (["h0", "c0"], ["hn", "cn"]) : (["h0"], ["hn"])
    }

    /// Declares `tokens` int64 `[T, B]` and returns it.
    mutating func tokensInput() -> String {
        input(ONNXValueInfo(name: "tokens", elementType: .int64, dimensions: [.symbol("T"), .symbol("B")]))
        return "tokens"
    }

    /// Declares `inputs` float `[T, B, width]` and returns it.
    mutating func vectorsInput(width: Int) -> String {
        input(ONNXValueInfo(name: "inputs", elementType: .float, dimensions: [.symbol("T"), .symbol("B"), .size(width)]))
        return "inputs"
    }

    /// `tokens` `[T, B]` as one-hot rows `[T, B, depth]` (the stack's input without an embedding).
    mutating func oneHot(_ tokens: String, depth: Int) -> String {
        let values = constant(ONNXTensor(name: fresh("one_hot_values"), dimensions: [2], floats: [0, 1]))
        return apply("OneHot", [tokens, int64s([depth]), values], [("axis", .int(-1))])
    }

    /// Declares the optional `lengths` int32 `[B]` and returns the `sequence_lens` of the
    /// recurrent operators: each length, or `T` (the dimension 0 of `reference`) where it is 0.
    mutating func lengthsInput(reference: String, batch: String) -> String {
        input(ONNXValueInfo(name: "lengths", elementType: .int32, dimensions: [.symbol("B")]))
        constant(ONNXTensor(name: "lengths", dimensions: [1], int32: [0]))
        let lengths = apply("Expand", ["lengths", batch])
        let steps = apply("Cast", [dimension(reference, axis: 0)], [("to", .int(ONNXTensor.ElementType.int32.rawValue))])
        let zero = constant(ONNXTensor(name: fresh("zero"), dimensions: [1], int32: [0]))
        return apply("Where", [apply("Equal", [lengths, zero]), steps, lengths])
    }

    /// Declares the optional state inputs (`h0`, `c0`) `[blocks, B, H]` and returns them
    /// broadcast to the batch (`batch`: the one-element tensor holding `B`).
    mutating func stateInputs(cell: RecurrentCell, blocks: Int, hiddenSize H: Int, batch: String) -> [String] {
        let expanded = shape([.size(blocks), .dimension(batch), .size(H)])
        return Self.stateNames(cell).inputs.map { name in
            input(ONNXValueInfo(name: name, elementType: .float, dimensions: [.size(blocks), .symbol("B"), .size(H)]))
            constant(ONNXTensor(name: name, dimensions: [blocks, 1, H], floats: [Float](repeating: 0, count: blocks * H)))
            return apply("Expand", [name, expanded])
        }
    }

    /// Names `values` (per state part, `[blocks, B, H]`) the state outputs `hn` (and `cn`).
    mutating func stateOutputs(_ values: [String], cell: RecurrentCell, blocks: Int, hiddenSize H: Int) {
        for (value, name) in zip(values, Self.stateNames(cell).outputs) {
            _ = apply("Identity", [value], output: name)
            output(ONNXValueInfo(name: name, elementType: .float, dimensions: [.size(blocks), .symbol("B"), .size(H)]))
        }
    }

    /// `x · weightᵀ + bias` over the last axis of `x` (`Linear` with `weight` `[O, I]`,
    /// stored as the model holds it and transposed in the graph).
    mutating func linear(_ x: String, weight: String, bias: String, output: String? = nil) -> String {
        let product = apply("MatMul", [x, apply("Transpose", [weight], [("perm", .ints([1, 0]))])])
        return apply("Add", [product, bias], output: output)
    }

    /// `(x − offset) / scale` over the last axis of `x`.
    mutating func affine(_ x: String, subtract offset: [Float], divide scale: [Float]) -> String {
        let o = constant(ONNXTensor(name: fresh("input_offset"), dimensions: [offset.count], floats: offset))
        let s = constant(ONNXTensor(name: fresh("input_scale"), dimensions: [scale.count], floats: scale))
        return apply("Div", [apply("Sub", [x, o]), s])
    }

    /// `y · scale + offset` over the last axis, named `name`; or `y` itself named `name`.
    mutating func scaledOutput(_ y: String, _ scaling: ONNXExportOptions.Scaling?, name: String) -> String {
        guard let scaling else { return apply("Identity", [y], output: name) }
        let s = constant(ONNXTensor(name: fresh("output_scale"), dimensions: [scaling.scale.count], floats: scaling.scale))
        let o = constant(ONNXTensor(name: fresh("output_offset"), dimensions: [scaling.offset.count], floats: scaling.offset))
        return apply("Add", [apply("Mul", [y, s]), o], output: name)
    }
}
