import Foundation
import Linalg
import RNN

/// A tensor of `scripts/onnx_check.py`'s cases: element type, shape, values.
struct TensorJSON: Encodable {
    let dtype: String
    let shape: [Int]
    let data: [Double]

    static func int64(_ shape: [Int], _ values: [Int32]) -> TensorJSON {
        TensorJSON(dtype: "int64", shape: shape, data: values.map(Double.init))
    }
    static func int32(_ shape: [Int], _ values: [Int]) -> TensorJSON {
        TensorJSON(dtype: "int32", shape: shape, data: values.map(Double.init))
    }
    static func float(_ shape: [Int], _ values: [Float]) -> TensorJSON {
        TensorJSON(dtype: "float32", shape: shape, data: values.map(Double.init))
    }
}

/// One case of `scripts/onnx_check.py`: the files' runs with their expected outputs, and a
/// greedy decoding to reproduce.
struct ONNXCase: Encodable {
    struct Run: Encodable {
        let file: String
        var inputs: [String: TensorJSON]
        var expected: [String: TensorJSON]
        var valid_lengths: [Int]?
    }

    struct Greedy: Encodable {
        let kind: String
        var file: String?
        var files: [String]?
        var prime: [Int32]?
        var features: TensorJSON?
        var source: [Int32]?
        var start: Int32?
        var stop: Int32?
        let count: Int
        let expected: [Int32]
    }

    let name: String
    var runs: [Run]
    var greedy: Greedy?
}

/// Deterministic test data drawn from one seeded generator.
struct CaseData {
    var rng: SeededRandom

    init(seed: UInt64) { rng = SeededRandom(seed: seed) }

    mutating func tokens(_ count: Int, below vocabulary: Int) -> [Int32] {
        (0..<count).map { _ in Int32(rng.index(below: vocabulary)) }
    }

    mutating func floats(_ count: Int, scale: Float = 0.5) -> [Float] {
        (0..<count).map { _ in rng.uniform(-scale, scale) }
    }

    /// A random `[T, B]` input: tokens below `width`, or vectors of `width` in `[-1, 1]`;
    /// adds it to the graph's `inputs` under its ONNX name (`tokens`, `inputs`).
    mutating func sequenceInput(
        vectors: Bool, steps T: Int, batchSize B: Int, width: Int, into inputs: inout [String: TensorJSON]
    ) -> SequenceInput {
        if vectors {
            let x = floats(T * B * width, scale: 1)
            inputs["inputs"] = .float([T, B, width], x)
            return .dense(Matrix(rows: T * B, cols: width, storage: x))
        }
        let t = tokens(T * B, below: width)
        inputs["tokens"] = .int64([T, B], t)
        return .tokens(t)
    }
}

/// The state outputs `hn` (and `cn`) of a flat `[parts, blocks, B, H]` state.
func stateTensors(_ state: [Float], cell: RecurrentCell, blocks: Int, batchSize B: Int, hiddenSize H: Int) -> [String: TensorJSON] {
    let n = blocks * B * H
    precondition(state.count == cell.stateParts * n, "state of \(state.count) for \(cell.stateParts)×\(n)")
    var out = ["hn": TensorJSON.float([blocks, B, H], Array(state[0..<n]))]
    if cell == .lstm { out["cn"] = .float([blocks, B, H], Array(state[n..<2 * n])) }
    return out
}

/// The state inputs `h0` (and `c0`) of a flat `[parts, blocks, B, H]` state.
func stateInputs(_ state: [Float], cell: RecurrentCell, blocks: Int, batchSize B: Int, hiddenSize H: Int) -> [String: TensorJSON] {
    stateTensors(state, cell: cell, blocks: blocks, batchSize: B, hiddenSize: H).reduce(into: [:]) {
        $0[$1.key == "hn" ? "h0" : "c0"] = $1.value
    }
}
