/// The loss of a forecasting model (`ForecastModel`): squared error (PyTorch's `MSELoss`),
/// absolute error (`L1Loss`), or the quantile (pinball) loss of chosen quantiles, whose
/// forecasts form prediction intervals.
///
/// For forecast `y` of actual `t`, the pinball loss of quantile `q` is
/// `max(q·(t − y), (q − 1)·(t − y))`: minimized when `y` is the `q`-quantile of `t`'s
/// distribution. Each loss is the mean over every value (and quantile).
///
/// `Codable` as `{"kind":"quantile","quantiles":[0.1,0.5,0.9]}`.
public struct ForecastLoss: Codable, Equatable, Sendable, CustomStringConvertible {
    public enum Kind: String, Codable, Sendable, CaseIterable {
        case squaredError = "mse"
        case absoluteError = "mae"
        case quantile
    }

    public var kind: Kind
    /// The quantiles of `.quantile`, each in (0, 1), ascending; empty otherwise.
    public var quantiles: [Float]

    /// `problem` says whether the values are usable.
    public init(kind: Kind, quantiles: [Float] = []) {
        self.kind = kind
        self.quantiles = quantiles
    }

    public static let squaredError = ForecastLoss(kind: .squaredError, quantiles: [])
    public static let absoluteError = ForecastLoss(kind: .absoluteError, quantiles: [])

    /// The pinball loss of `quantiles`.
    public static func quantiles(_ quantiles: [Float]) -> ForecastLoss { ForecastLoss(kind: .quantile, quantiles: quantiles) }

    /// Forecasts per forecast value: one, or one per quantile.
    public var outputsPerValue: Int { kind == .quantile ? quantiles.count : 1 }

    /// Why these values are unusable (a damaged file's, or a bad option), or nil.
    public var problem: String? {
        switch kind {
        case .quantile:
            if quantiles.isEmpty { return "the quantile loss needs at least one quantile" }
            if let q = quantiles.first(where: { !($0 > 0 && $0 < 1) }) { return "quantile \(q) is outside (0, 1)" }
            if zip(quantiles, quantiles.dropFirst()).contains(where: { $0 >= $1 }) {
                return "the quantiles \(quantiles) are not strictly ascending"
            }
            return nil
        default:
            return quantiles.isEmpty ? nil : "only the quantile loss takes quantiles"
        }
    }

    public var description: String {
        kind == .quantile ? "quantile \(quantiles.map { "\($0)" }.joined(separator: ","))" : kind.rawValue
    }

    /// The mean loss of `outputs` `[count, outputsPerValue]` against `targets` `[count]`,
    /// and when `gradient` is given d(loss)/d(outputs) into it (same layout; may be `outputs`).
    /// - Complexity: O(count · outputsPerValue).
    public func compute(
        outputs: UnsafePointer<Float>, targets: UnsafePointer<Float>, count: Int, gradient: UnsafeMutablePointer<Float>?
    ) -> Double {
        let Q = outputsPerValue, n = Float(count * Q)
        var sum = 0.0
        for i in 0..<count {
            let t = targets[i]
            for j in 0..<Q {
                let y = outputs[i * Q + j], e = y - t
                let (loss, slope): (Float, Float)
                switch kind {
                case .squaredError: (loss, slope) = (e * e, 2 * e)
                case .absoluteError: (loss, slope) = (abs(e), e > 0 ? 1 : e < 0 ? -1 : 0)
                case .quantile:
                    let q = quantiles[j]
                    (loss, slope) = e < 0 ? (-q * e, -q) : ((1 - q) * e, 1 - q)
                }
                sum += Double(loss)
                gradient?[i * Q + j] = slope / n
            }
        }
        return sum / Double(n)
    }
}
