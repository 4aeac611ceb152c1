/// How well labels were predicted: accuracy, macro-averaged F1 and the confusion matrix.
public struct ClassificationMetrics: Codable, Equatable, Sendable {
    public var accuracy: Double
    /// The mean of each class's F1 (2·precision·recall / (precision + recall), 0 when both
    /// are 0) over the classes that occur among the actual or the predicted labels.
    public var macroF1: Double
    /// `confusion[actual][predicted]`: counts.
    public var confusion: [[Int]]

    /// - Precondition: as many predictions as actuals, at least one, all in `0..<classes`.
    public init(predicted: [Int], actual: [Int], classes: Int) {
        precondition(predicted.count == actual.count && !actual.isEmpty, "\(predicted.count) predictions for \(actual.count) labels")
        var confusion = [[Int]](repeating: [Int](repeating: 0, count: classes), count: classes)
        for (p, a) in zip(predicted, actual) { confusion[a][p] += 1 }
        accuracy = Double((0..<classes).reduce(0) { $0 + confusion[$1][$1] }) / Double(actual.count)
        var f1s: [Double] = []
        for c in 0..<classes {
            let truePositive = Double(confusion[c][c])
            let actualCount = Double(confusion[c].reduce(0, +)), predictedCount = Double((0..<classes).reduce(0) { $0 + confusion[$1][c] })
            guard actualCount + predictedCount > 0 else { continue }
            let precision = predictedCount > 0 ? truePositive / predictedCount : 0
            let recall = actualCount > 0 ? truePositive / actualCount : 0
            f1s.append(precision + recall > 0 ? 2 * precision * recall / (precision + recall) : 0)
        }
        macroF1 = f1s.reduce(0, +) / Double(f1s.count)
        self.confusion = confusion
    }

    enum CodingKeys: String, CodingKey {
        case accuracy
        case macroF1 = "macro_f1"
        case confusion
    }
}
