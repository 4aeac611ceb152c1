import Foundation
import RNN
import _ToolSupport

/// What `charrnn diagnose` measured, as a table, JSON and an SVG.
struct DiagnosisReport {
    let checkpoint: String
    let data: String
    /// "2-layer LSTM, 256 hidden units, ..."
    let description: String
    let streams: Int
    let chunkSteps: Int
    let flow: GradientFlow
    let spectra: [RecurrentWeightSpectrum]
    let gates: [GateStatistics]
    let cell: RecurrentCell

    /// The lags shown in the table: 0, 1, 2, 4, 8, ... and the horizon.
    var shownLags: [Int] {
        var lags = [0]
        var k = 1
        while k < flow.horizon { lags.append(k); k *= 2 }
        return lags + [flow.horizon]
    }

    static func scientific(_ x: Double) -> String { String(format: "%.3e", x) }

    var table: String {
        let L = flow.norms.count
        var lines = [
            "checkpoint      \(checkpoint) (\(description))",
            "data            \(data): the first chunk, \(streams) stream\(streams == 1 ? "" : "s") × \(chunkSteps) steps; the loss of \(flow.steps.count) steps followed back",
            "",
            "gradient norm   mean ‖∂L_t/∂h_(t−k)‖ per layer (bottom first), and relative to k = 0",
            "       k" + (0..<L).map { "   " + "layer \($0)".padding(toLength: 21, withPad: " ", startingAt: 0) }.joined(),
        ]
        for k in shownLags {
            var row = String(repeating: " ", count: max(0, 8 - String(k).count)) + String(k)
            for l in 0..<L {
                let n = flow.norms[l][k], first = flow.norms[l][0]
                let relative = first > 0 ? String(format: "%.2e", n / first) : "-"
                row += "   " + "\(Self.scientific(n)) (\(relative))".padding(toLength: 21, withPad: " ", startingAt: 0)
            }
            lines.append(row)
        }
        lines.append(
            "100× smaller at"
                + (0..<L).map { l in
                    let k = flow.decayHorizon(layer: l).map { "k = \($0)" } ?? "k > \(flow.horizon)"
                    return "   " + k.padding(toLength: 21, withPad: " ", startingAt: 0)
                }.joined())
        lines.append("")
        lines.append("W_hh spectrum   per layer and gate block: largest and smallest singular value, spectral radius")
        for s in spectra {
            lines.append(
                "  layer \(s.layer) \(s.gate.padding(toLength: 2, withPad: " ", startingAt: 0))  σ_max \(String(format: "%7.4f", s.singularValues.first ?? 0))  σ_min \(String(format: "%7.4f", s.singularValues.last ?? 0))  radius \(String(format: "%7.4f", s.spectralRadius))"
            )
        }
        if !gates.isEmpty {
            lines.append("")
            lines.append("gates           mean activation, and the share saturated (sigmoid: > 0.95 / < 0.05; tanh: |x| > 0.95)")
            for g in gates {
                lines.append(
                    "  layer \(g.layer) \(g.gate)  mean \(String(format: "%6.3f", g.mean))  high \(String(format: "%5.1f%%", 100 * g.fractionHigh))  low \(String(format: "%5.1f%%", 100 * g.fractionLow))"
                )
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    struct JSONReport: Encodable {
        struct Block: Encodable { let layer: Int; let gate: String; let spectralRadius: Float }
        struct Gate: Encodable { let layer: Int; let gate: String; let mean: Double; let fractionHigh: Double; let fractionLow: Double }
        let checkpoint: String
        let data: String
        let cell: String
        let streams: Int
        let chunkSteps: Int
        let horizon: Int
        let followedSteps: [Int]
        /// `gradient_norms[layer][k]`.
        let gradientNorms: [[Double]]
        let hundredfoldDecayK: [Int?]
        /// `singular_values[block]`, the blocks in `weight_blocks`' order.
        let singularValues: [[Float]]
        let weightBlocks: [Block]
        let gateStatistics: [Gate]
    }

    func json() throws -> String {
        let report = JSONReport(
            checkpoint: checkpoint, data: data, cell: cell.rawValue, streams: streams, chunkSteps: chunkSteps,
            horizon: flow.horizon, followedSteps: flow.steps, gradientNorms: flow.norms,
            hundredfoldDecayK: flow.norms.indices.map { flow.decayHorizon(layer: $0) },
            singularValues: spectra.map(\.singularValues),
            weightBlocks: spectra.map { .init(layer: $0.layer, gate: $0.gate, spectralRadius: $0.spectralRadius) },
            gateStatistics: gates.map {
                .init(layer: $0.layer, gate: $0.gate, mean: $0.mean, fractionHigh: $0.fractionHigh, fractionLow: $0.fractionLow)
            })
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return String(decoding: try encoder.encode(report), as: UTF8.self) + "\n"
    }

    static let colors = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f"]

    /// Two panels: the gradient norms against k (log scale), and each W_hh block's
    /// singular values in descending order (log scale).
    var svg: String {
        let width = 1100.0, height = 480.0, half = width / 2
        let flowChart = SVGChart(
            xLabel: "k (steps back)", yLabel: "mean ‖∂L_t/∂h_(t−k)‖ (log scale)",
            series: flow.norms.enumerated().map { l, norms in
                .init(name: "layer \(l)", color: Self.colors[l % Self.colors.count], points: norms.enumerated().map { (Double($0), $1) })
            },
            logY: true, legendWidth: 110)
        let spectrumChart = SVGChart(
            xLabel: "index (descending)", yLabel: "singular value of W_hh (log scale)",
            series: spectra.enumerated().map { i, s in
                .init(
                    name: "layer \(s.layer) \(s.gate) (radius \(String(format: "%.3f", s.spectralRadius)))",
                    color: Self.colors[i % Self.colors.count], lineWidth: 1.5,
                    points: s.singularValues.enumerated().map { (Double($0), Double($1)) })
            },
            logY: true, legendWidth: 190)
        let name = (checkpoint as NSString).lastPathComponent
        return SVGChart.document(
            width: width, height: height,
            title: "charrnn diagnose: \(name) (\(description.components(separatedBy: ",").prefix(2).joined(separator: ",")))",
            panels: [
                flowChart.render(x: 0, y: 24, width: half, height: height - 24),
                spectrumChart.render(x: half, y: 24, width: half, height: height - 24),
            ])
    }
}
