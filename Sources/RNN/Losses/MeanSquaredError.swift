import Linalg

/// Mean squared error over all elements: `loss = Σ (y - t)² / count`,
/// `d(loss)/dy = 2 (y - t) / count` (PyTorch's `MSELoss(reduction: "mean")`).
public enum MeanSquaredError {
    /// - Complexity: O(count).
    public static func compute(prediction: Matrix, target: Matrix) -> (loss: Float, gradient: Matrix) {
        precondition(
            prediction.rows == target.rows && prediction.cols == target.cols,
            "MSE: prediction [\(prediction.rows), \(prediction.cols)] vs target [\(target.rows), \(target.cols)]")
        let n = max(prediction.count, 1)
        var grad = prediction - target
        let loss = grad.sumOfSquares() / Double(n)
        grad.scale(by: 2 / Float(n))
        return (Float(loss), grad)
    }
}
