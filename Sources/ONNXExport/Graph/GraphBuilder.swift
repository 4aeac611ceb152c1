/// Builds a graph node by node: unique value names, constants as initializers, and the
/// few shape computations every exported graph shares (a dimension of an input, a shape
/// assembled from dimensions and constants).
struct GraphBuilder {
    private(set) var graph: ONNXGraph
    private var counter = 0

    init(name: String) { graph = ONNXGraph(name: name) }

    /// A fresh value name starting with `stem`.
    mutating func fresh(_ stem: String) -> String {
        counter += 1
        return "\(stem)_\(counter)"
    }

    /// Adds `operation` over `inputs` and returns its `outputs` fresh names (or the given ones).
    @discardableResult
    mutating func node(
        _ operation: String, _ inputs: [String], outputs: [String]? = nil, outputCount: Int = 1,
        _ attributes: [(name: String, value: ONNXNode.Attribute)] = []
    ) -> [String] {
        let names = outputs ?? (0..<outputCount).map { _ in fresh(operation.lowercased()) }
        graph.nodes.append(
            ONNXNode(operation, name: fresh("node_\(operation)"), inputs: inputs, outputs: names, attributes: attributes))
        return names
    }

    /// `node` with one output.
    mutating func apply(
        _ operation: String, _ inputs: [String], output: String? = nil,
        _ attributes: [(name: String, value: ONNXNode.Attribute)] = []
    ) -> String {
        node(operation, inputs, outputs: output.map { [$0] }, attributes)[0]
    }

    /// Adds `tensor` as an initializer and returns its name.
    @discardableResult
    mutating func constant(_ tensor: ONNXTensor) -> String {
        graph.initializers.append(tensor)
        return tensor.name
    }

    /// A fresh int64 constant of `values` (one dimension).
    mutating func int64s(_ values: [Int]) -> String {
        constant(ONNXTensor(name: fresh("const"), dimensions: [values.count], int64: values))
    }

    mutating func input(_ value: ONNXValueInfo) { graph.inputs.append(value) }
    mutating func output(_ value: ONNXValueInfo) { graph.outputs.append(value) }

    /// The dimension `axis` of `value`'s shape, as an int64 tensor of one element.
    mutating func dimension(_ value: String, axis: Int) -> String {
        let shape = apply("Shape", [value])
        return apply("Slice", [shape, int64s([axis]), int64s([axis + 1]), int64s([0])])
    }

    /// `value[start..<end]` along `axis`.
    mutating func slice(_ value: String, axis: Int, _ range: Range<Int>) -> String {
        apply("Slice", [value, int64s([range.lowerBound]), int64s([range.upperBound]), int64s([axis])])
    }

    /// A shape (int64 tensor) joined from parts: fixed sizes and one-element dimension tensors.
    mutating func shape(_ parts: [ShapePart]) -> String {
        let names = parts.map { part -> String in
            switch part {
            case .size(let n): return int64s([n])
            case .dimension(let name): return name
            }
        }
        return apply("Concat", names, [("axis", .int(0))])
    }

    enum ShapePart {
        case size(Int)
        case dimension(String)
    }
}
