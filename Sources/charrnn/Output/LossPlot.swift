import Foundation
import _ToolSupport

/// An SVG line chart of a run's loss curves: the train loss per step (light), its moving
/// average, and the validation loss per epoch (with markers), with axes, ticks, labels,
/// a legend and faint epoch boundaries (drawn by `SVGChart`).
struct LossPlot {
    var title: String
    var width = 800.0
    var height = 480.0
    /// With gradient tracking: the `--clip` norm, drawn on the gradient-norm panel.
    var clipThreshold: Float?

    /// The SVG document for `history` (a placeholder message when it has no rows).
    func svg(_ history: History) -> String {
        let rows = history.rows.filter { $0.trainLoss.isFinite }
        guard !rows.isEmpty else {
            return SVGChart.document(
                width: width, height: height, title: title,
                panels: [
                    "<text x=\"\(width / 2)\" y=\"\(height / 2)\" text-anchor=\"middle\">no training steps recorded</text>\n"
                ])
        }
        let raw = rows.map { (Double($0.step), Double($0.trainLoss)) }
        // Centered moving average (the window shrinks symmetrically at the ends).
        let half = rows.count / 60
        let window = 2 * half + 1
        var prefix = [0.0]
        for p in raw { prefix.append(prefix.last! + p.1) }
        let smooth = raw.indices.map { i -> (Double, Double) in
            let h = min(half, i, raw.count - 1 - i)
            return (raw[i].0, (prefix[i + h + 1] - prefix[i - h]) / Double(2 * h + 1))
        }
        let validation = rows.compactMap { r in r.validationLoss.flatMap { $0.isFinite ? (Double(r.step), Double($0)) : nil } }
        var series = [
            SVGChart.Series(
                name: "train loss (per step)", color: "#1f77b4", opacity: 0.3, lineWidth: 1,
                points: SVGChart.bucketed(raw, limit: 1500))
        ]
        if window > 1 {
            series.append(
                .init(
                    name: "train loss (moving average of \(window) steps)", color: "#1f77b4",
                    points: SVGChart.bucketed(smooth, limit: 1500)))
        }
        if !validation.isEmpty {
            series.append(.init(name: "validation loss (end of each epoch)", color: "#ff7f0e", points: validation, markers: true))
        }
        var markers: [(x: Double, label: String?)] = []
        for i in rows.indices.dropLast() where rows[i + 1].epoch != rows[i].epoch {
            markers.append((Double(rows[i].step), "epoch \(rows.first!.epoch + markers.count + 1)"))
        }
        let chart = SVGChart(
            xLabel: "step", yLabel: "cross-entropy (nats per character)", series: series,
            markers: markers, yFromZero: true)
        var panels = [chart.render(x: 0, y: 24, width: width, height: height - 24)]
        // With --track-gradients, a second panel: the gradient norm per step before clipping.
        let norms = rows.compactMap { r in r.gradientNorm.map { (Double(r.step), Double($0)) } }
        if !norms.isEmpty {
            var gradientSeries = [
                SVGChart.Series(
                    name: "gradient norm before clipping (per step)", color: "#2ca02c",
                    lineWidth: 1.5, points: SVGChart.bucketed(norms, limit: 1500))
            ]
            if let clip = clipThreshold {
                gradientSeries.append(
                    .init(
                        name: "--clip \(Format.number(clip))", color: "#d62728", lineWidth: 1,
                        points: [(norms.first!.0, Double(clip)), (norms.last!.0, Double(clip))]))
            }
            let gradients = SVGChart(
                xLabel: "step", yLabel: "global gradient norm (log scale)", series: gradientSeries,
                logY: true, markers: markers)
            panels.append(gradients.render(x: 0, y: height, width: width, height: height - 24))
        }
        return SVGChart.document(width: width, height: norms.isEmpty ? height : 2 * height - 24, title: title, panels: panels)
    }
}
