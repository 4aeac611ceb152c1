import Foundation
import Linalg
import _RNNKernels

/// Fused softmax + cross-entropy over class indices, the loss of every classifier here.
///
/// `loss = mean over counted rows r of (logsumexp(z_r) - z_r[target_r])`, with the row
/// max subtracted before `exp` and the sum accumulated in Double. A target of `-1`
/// (or a `false` in `mask`) means the row counts for nothing: no loss, zero gradient,
/// and it is not in the mean's denominator (PyTorch's `ignore_index`).
///
/// ```swift
/// let (loss, dLogits) = SoftmaxCrossEntropy.compute(logits: y, targets: [2, 0, -1])
/// ```
public enum SoftmaxCrossEntropy {
    /// The target value that marks a row as not counted.
    public static let ignored: Int32 = -1

    /// The number of targets that count (not `ignored`): the mean loss's denominator.
    public static func countedTargets(_ targets: [Int32]) -> Int { targets.reduce(0) { $0 + ($1 >= 0 ? 1 : 0) } }

    /// Loss and d(loss)/d(logits) for `logits` `[N, C]`, pointer form (no allocation).
    ///
    /// `gradient` may be `logits` itself (the gradient then overwrites the logits).
    /// - Returns: the mean loss over counted rows (0 when none count) and the count.
    /// - Complexity: O(N·C).
    @discardableResult
    public static func compute(
        logits: UnsafePointer<Float>, rows: Int, classes: Int, targets: UnsafePointer<Int32>,
        gradient: UnsafeMutablePointer<Float>?
    ) -> (loss: Double, counted: Int) {
        var counted = 0
        for r in 0..<rows where targets[r] >= 0 {
            precondition(Int(targets[r]) < classes, "target \(targets[r]) at row \(r) is outside 0..<\(classes)")
            counted += 1
        }
        let scale = counted > 0 ? 1 / Float(counted) : 0
        if let gradient {
            // The training path: one fused, vectorized pass per row in the C target.
            if UnsafePointer(gradient) != logits { gradient.update(from: logits, count: rows * classes) }
            let total = srnn_softmax_cross_entropy(gradient, targets, rows, classes, scale)
            return (counted > 0 ? total / Double(counted) : 0, counted)
        }
        var total = 0.0
        for r in 0..<rows {
            let z = logits + r * classes
            let target = Int(targets[r])
            guard target >= 0 else { continue }
            var m = -Float.infinity
            for c in 0..<classes { m = max(m, z[c]) }
            let zt = z[target]
            var sum = 0.0
            for c in 0..<classes { sum += Foundation.exp(Double(z[c] - m)) }
            total += Double(m) + Foundation.log(sum) - Double(zt)
        }
        return (counted > 0 ? total / Double(counted) : 0, counted)
    }

    /// Loss and d(loss)/d(logits) for `logits` `[N, C]` and `targets` `[N]`.
    /// - Complexity: O(N·C).
    public static func compute(logits: Matrix, targets: [Int32], mask: [Bool]? = nil) -> (loss: Float, gradient: Matrix) {
        precondition(targets.count == logits.rows, "\(targets.count) targets for \(logits.rows) rows of logits")
        var t = targets
        if let mask {
            precondition(mask.count == targets.count, "mask has \(mask.count) entries for \(targets.count) targets")
            for i in 0..<t.count where !mask[i] { t[i] = ignored }
        }
        var grad = Matrix(rows: logits.rows, cols: logits.cols)
        let loss = logits.storage.withUnsafeBufferPointer { z in
            t.withUnsafeBufferPointer { pt in
                grad.storage.withUnsafeMutableBufferPointer { g in
                    compute(
                        logits: z.baseAddress!, rows: logits.rows, classes: logits.cols,
                        targets: pt.baseAddress!, gradient: g.baseAddress!
                    ).loss
                }
            }
        }
        return (Float(loss), grad)
    }

    /// The softmax of `logits / temperature` as probabilities (Double for sampling).
    public static func probabilities(_ logits: [Float], temperature: Float = 1) -> [Double] {
        let scaled = logits.map { Double($0) / Double(temperature) }
        let m = scaled.max() ?? 0
        let e = scaled.map { Foundation.exp($0 - m) }
        let s = e.reduce(0, +)
        return e.map { $0 / s }
    }
}
