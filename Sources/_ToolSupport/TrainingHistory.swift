import ArgumentParser
import Foundation

/// The per-epoch losses of a run (and of the runs it resumed: the checkpoint keeps them),
/// written as `--history` CSV and `--plot` SVG.
package struct TrainingHistory: Codable {
    package struct Epoch: Codable {
        package var epoch: Int
        package var trainLoss: Double
        package var validationLoss: Double?
        package var seconds: Double

        package init(epoch: Int, trainLoss: Double, validationLoss: Double?, seconds: Double) {
            self.epoch = epoch
            self.trainLoss = trainLoss
            self.validationLoss = validationLoss
            self.seconds = seconds
        }
    }

    package var epochs: [Epoch] = []
    /// The chart's title (`series train: loss per epoch`) and its loss axis's label.
    package var title = "series train: loss per epoch"
    package var lossLabel = "loss (scaled units)"

    package init() {}

    private enum CodingKeys: String, CodingKey { case epochs }

    /// `epoch,train_loss,validation_loss,seconds`, one row per epoch.
    package var csv: String {
        "epoch,train_loss,validation_loss,seconds\n"
            + epochs.map { e in
                "\(e.epoch),\(e.trainLoss),\(e.validationLoss.map { "\($0)" } ?? ""),\(String(format: "%.3f", e.seconds))\n"
            }.joined()
    }

    /// The train and validation losses per epoch.
    package var svg: String {
        var series = [
            SVGChart.Series(name: "train loss", color: "#1f77b4", points: epochs.map { (Double($0.epoch), $0.trainLoss) }, markers: true)
        ]
        let validation = epochs.compactMap { e in e.validationLoss.map { (Double(e.epoch), $0) } }
        if !validation.isEmpty {
            series.append(SVGChart.Series(name: "validation loss", color: "#d62728", points: validation, markers: true))
        }
        let chart = SVGChart(xLabel: "epoch", yLabel: lossLabel, series: series, yFromZero: true)
        return SVGChart.document(
            width: 800, height: 400, title: title, panels: [chart.render(x: 0, y: 30, width: 800, height: 370)])
    }

    /// Writes `--history` and `--plot` where asked (atomically).
    package func write(history: String?, plot: String?) throws {
        if let history { try OutputPath.write(csv, to: history, option: "--history") }
        if let plot, !epochs.isEmpty { try OutputPath.write(svg, to: plot, option: "--plot") }
    }
}

/// `--history` and `--plot`, the loss of every epoch as CSV and SVG (`series train`,
/// `seq2seq train`).
package struct HistoryOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Write the loss of every epoch here (CSV), at the end and when stopped.", valueName: "path"))
    package var history: String?
    @Option(help: ArgumentHelp("Draw the loss of every epoch here (SVG), at the end and when stopped.", valueName: "path"))
    package var plot: String?

    package init() {}

    /// Refuses a path that cannot be written, before training starts.
    package func checkWritable() throws {
        for (path, option) in [(history, "--history"), (plot, "--plot")] {
            if let path { try OutputPath.checkWritable(path, option: option) }
        }
    }
}
