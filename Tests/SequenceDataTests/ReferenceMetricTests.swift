import Foundation
import Linalg
import RNN
import SequenceData
import Testing
import ToolTesting

/// The metrics and the quantile loss against scikit-learn's implementations on seeded
/// random data (where scikit-learn is installed): MAE, RMSE, accuracy, macro-F1, the
/// confusion matrix, and the pinball loss of each quantile.
@Suite struct ReferenceMetricTests {
    @Test(.enabled(if: SklearnPython.oracle.path != nil, Comment(rawValue: SklearnPython.oracle.skipReason)))
    func metricsEqualScikitLearns() throws {
        try withTemporaryDirectory { dir in
            var rng = SeededRandom(seed: 17)
            let actuals = (0..<200).map { _ in rng.uniform(-5, 5) }
            let forecasts = actuals.map { $0 + rng.normal(std: 1) }
            let training = (0..<50).map { _ in rng.uniform(-5, 5) }
            let predicted = (0..<300).map { _ in rng.index(below: 4) }
            let labels = predicted.map { rng.index(below: 3) == 0 ? rng.index(below: 5) : $0 }  // class 4: actual only
            let quantiles: [Float] = [0.1, 0.5, 0.9]
            let quantileForecasts = actuals.flatMap { a in quantiles.map { q in a + (q - 0.5) * 2 + rng.normal(std: 0.5) } }

            let f = ForecastMetrics(forecasts: forecasts, actuals: actuals, training: training)
            let c = ClassificationMetrics(predicted: predicted, actual: labels, classes: 5)
            let pinball = quantileForecasts.withUnsafeBufferPointer { y in
                actuals.withUnsafeBufferPointer { t in
                    ForecastLoss.quantiles(quantiles).compute(
                        outputs: y.baseAddress!, targets: t.baseAddress!, count: t.count, gradient: nil)
                }
            }
            let input: [String: Any] = [
                "forecasts": forecasts.map(Double.init), "actuals": actuals.map(Double.init),
                "predicted": predicted, "labels": labels, "quantiles": quantiles.map(Double.init),
                "quantile_forecasts": quantileForecasts.map(Double.init),
            ]
            try JSONSerialization.data(withJSONObject: input).write(to: URL(fileURLWithPath: dir + "/in.json"))
            let script = try write(
                """
                import json, numpy as np
                from sklearn.metrics import (accuracy_score, confusion_matrix, f1_score, mean_absolute_error,
                                             mean_pinball_loss, root_mean_squared_error)
                d = json.load(open("in.json"))
                y, p = np.array(d["actuals"], dtype=np.float32), np.array(d["forecasts"], dtype=np.float32)
                Q = len(d["quantiles"])
                qf = np.array(d["quantile_forecasts"], dtype=np.float32).reshape(-1, Q)
                print(json.dumps({
                    "mae": mean_absolute_error(y, p), "rmse": root_mean_squared_error(y, p),
                    "accuracy": accuracy_score(d["labels"], d["predicted"]),
                    "macro_f1": f1_score(d["labels"], d["predicted"], average="macro", zero_division=0),
                    "confusion": confusion_matrix(d["labels"], d["predicted"], labels=list(range(5))).tolist(),
                    "pinball": float(np.mean([mean_pinball_loss(y, qf[:, j], alpha=q) for j, q in enumerate(d["quantiles"])])),
                }))
                """, to: "reference.py", in: dir)
            let (status, output) = try SklearnPython.oracle.run(file: script, in: dir)
            #expect(status == 0, "\(output)")
            let line = try #require(output.split(separator: "\n").last)
            let reference = try JSONSerialization.jsonObject(with: Data(line.utf8)) as! [String: Any]
            func close(_ a: Double, _ key: String) -> Bool {
                let b = reference[key] as! Double
                return abs(a - b) <= 1e-6 * max(1, abs(b))
            }
            #expect(close(f.mae, "mae") && close(f.rmse, "rmse"), "\(f) vs \(reference)")
            #expect(close(c.accuracy, "accuracy") && close(c.macroF1, "macro_f1"), "\(c) vs \(reference)")
            #expect(c.confusion == reference["confusion"] as! [[Int]], "\(c.confusion) vs \(reference)")
            #expect(close(pinball, "pinball"), "\(pinball) vs \(reference)")
        }
    }
}
