import Foundation
import _ToolSupport

/// The per-epoch losses of a run (and of the runs it resumed: the checkpoint keeps them),
/// written as `--history` CSV and `--plot` SVG.
struct TrainingHistory: Codable {
    struct Epoch: Codable {
        var epoch: Int
        var trainLoss: Double
        var validationLoss: Double?
        var seconds: Double
    }

    var epochs: [Epoch] = []

    /// `epoch,train_loss,validation_loss,seconds`, one row per epoch.
    var csv: String {
        "epoch,train_loss,validation_loss,seconds\n"
            + epochs.map { e in
                "\(e.epoch),\(e.trainLoss),\(e.validationLoss.map { "\($0)" } ?? ""),\(String(format: "%.3f", e.seconds))\n"
            }.joined()
    }

    /// The train and validation losses per epoch.
    var svg: String {
        var series = [
            SVGChart.Series(name: "train loss", color: "#1f77b4", points: epochs.map { (Double($0.epoch), $0.trainLoss) }, markers: true)
        ]
        let validation = epochs.compactMap { e in e.validationLoss.map { (Double(e.epoch), $0) } }
        if !validation.isEmpty {
            series.append(SVGChart.Series(name: "validation loss", color: "#d62728", points: validation, markers: true))
        }
        let chart = SVGChart(xLabel: "epoch", yLabel: "loss (scaled units)", series: series, yFromZero: true)
        return SVGChart.document(
            width: 800, height: 400, title: "series train: loss per epoch", panels: [chart.render(x: 0, y: 30, width: 800, height: 370)])
    }

    /// Writes `--history` and `--plot` where asked (atomically).
    func write(history: String?, plot: String?) throws {
        if let history { try OutputPath.write(csv, to: history, option: "--history") }
        if let plot, !epochs.isEmpty { try OutputPath.write(svg, to: plot, option: "--plot") }
    }
}
