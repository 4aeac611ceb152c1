import RNN
import SafeTensors

/// `--track-gradients`' running sums over an epoch: each parameter's gradient norm before
/// clipping (from the trainer's gradient observer), the steps and the clipped steps.
final class GradientTracker {
    let names: [String]
    private let slots: [TensorSlot]
    private var normSums: [Double]
    private(set) var steps = 0
    private(set) var clippedSteps = 0

    init(_ parameters: ParameterStore) {
        // By name, as the checkpoint stores them.
        slots = parameters.slots.sorted { $0.name < $1.name }
        names = slots.map(\.name)
        normSums = [Double](repeating: 0, count: slots.count)
    }

    /// Adds each parameter's gradient norm. - Complexity: O(parameters).
    func observe(_ parameters: ParameterStore) {
        parameters.gradients.withUnsafeBufferPointer { g in
            for (i, slot) in slots.enumerated() {
                var sq = 0.0
                for j in slot.range { let x = Double(g[j]); sq += x * x }
                normSums[i] += sq.squareRoot()
            }
        }
    }

    func stepDone(clipped: Bool) {
        steps += 1
        if clipped { clippedSteps += 1 }
    }

    /// The epoch's sums so far as checkpoint tensors (none at an epoch boundary), so that a
    /// run resumed mid-epoch completes the same record.
    var tensors: [String: SafeTensorsFile.Tensor] {
        guard steps > 0 else { return [:] }
        return [
            Self.stepsTensor: .init(shape: [2], values: [Float(steps), Float(clippedSteps)]),
            // Each Double sum as a Float and its Float remainder (48 bits kept), so the
            // resumed epoch's means round as the uninterrupted run's.
            Self.sumsTensor: .init(
                shape: [normSums.count, 2],
                values: normSums.flatMap { x -> [Float] in
                    let high = Float(x)
                    return [high, Float(x - Double(high))]
                }),
        ]
    }

    static let stepsTensor = "history.gradients.partial.steps"
    static let sumsTensor = "history.gradients.partial.norm_sums"

    /// Continues from a checkpoint's `tensors` (ignored unless they fit this model).
    func restore(from tensors: [String: SafeTensorsFile.Tensor]) {
        guard let counts = tensors[Self.stepsTensor], counts.shape == [2],
            let sums = tensors[Self.sumsTensor], sums.shape == [normSums.count, 2],
            counts.values.allSatisfy({ $0 >= 0 && $0 < 1e9 && $0 == $0.rounded() }), counts.values[1] <= counts.values[0],
            sums.values.allSatisfy(\.isFinite)
        else { return }
        steps = Int(counts.values[0])
        clippedSteps = Int(counts.values[1])
        normSums = (0..<normSums.count).map { Double(sums.values[2 * $0]) + Double(sums.values[2 * $0 + 1]) }
    }

    /// The epoch's record, with the gradient flow measured on `flow`; then starts over.
    func finishEpoch(_ epoch: Int, flow: GradientFlow) -> History.EpochGradients {
        let n = Double(max(steps, 1))
        let record = History.EpochGradients(
            epoch: epoch, clipFraction: Float(Double(clippedSteps) / n),
            parameterNorms: zip(names, normSums).map { ($0, Float($1 / n)) },
            hundredfoldDecayK: flow.norms.indices.map { flow.decayHorizon(layer: $0) }, horizon: flow.horizon)
        normSums = normSums.map { _ in 0 }
        steps = 0
        clippedSteps = 0
        return record
    }
}
