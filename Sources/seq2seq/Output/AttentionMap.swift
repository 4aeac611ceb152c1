import Foundation
import _ToolSupport

/// One translation's attention weights (output tokens × source tokens), as a text table
/// and as an SVG heat map (darker: more weight).
struct AttentionMap {
    let line: Int
    let source: [String]
    let output: [String]
    /// `[output.count][source.count]`, each row summing to 1.
    let weights: [[Float]]

    /// `line N: rows output tokens, columns source tokens, weights in percent`, then one
    /// row per output token.
    var text: String {
        func shown(_ s: String) -> String { s == " " ? "␣" : s == "\t" ? "⇥" : s }
        let width = max(3, (source + output).map { shown($0).count }.max() ?? 3)
        func cell(_ s: String) -> String { String(repeating: " ", count: max(0, width - s.count)) + s }
        var out = "attention of line \(line) (rows: output tokens; columns: source tokens; percent):\n"
        out += cell("") + " " + source.map { cell(shown($0)) }.joined(separator: " ") + "\n"
        for (symbol, row) in zip(output, weights) {
            out += cell(shown(symbol)) + " " + row.map { cell(String(Int(($0 * 100).rounded()))) }.joined(separator: " ") + "\n"
        }
        return out
    }

    /// The heat maps of `maps`, one under another.
    static func svg(_ maps: [AttentionMap]) -> String {
        let cellSize = 18.0, margin = 70.0
        var panels: [String] = []
        var y = 30.0
        var width = 400.0
        for map in maps {
            var s = "<text x=\"10\" y=\(SVGChart.q(y + 14)) font-size=\"13\">line \(map.line)</text>\n"
            let top = y + 26 + margin * 0.6
            for (j, symbol) in map.source.enumerated() {
                let x = margin + (Double(j) + 0.5) * cellSize
                s +=
                    "<text x=\(SVGChart.q(x)) y=\(SVGChart.q(top - 6)) font-size=\"11\" text-anchor=\"middle\">\(SVGChart.escape(symbol == " " ? "␣" : symbol))</text>\n"
            }
            for (i, (symbol, row)) in zip(map.output, map.weights).enumerated() {
                let rowY = top + Double(i) * cellSize
                s +=
                    "<text x=\(SVGChart.q(margin - 6)) y=\(SVGChart.q(rowY + 13)) font-size=\"11\" text-anchor=\"end\">\(SVGChart.escape(symbol))</text>\n"
                for (j, weight) in row.enumerated() {
                    let shade = Int((1 - Double(weight)) * 255)
                    s +=
                        "<rect x=\(SVGChart.q(margin + Double(j) * cellSize)) y=\(SVGChart.q(rowY)) width=\(SVGChart.q(cellSize - 1)) height=\(SVGChart.q(cellSize - 1)) fill=\"rgb(\(shade),\(shade),255)\"><title>\(String(format: "%.3f", weight))</title></rect>\n"
                }
            }
            panels.append(s)
            width = max(width, margin + Double(map.source.count) * cellSize + 20)
            y = top + Double(map.output.count) * cellSize + 20
        }
        return SVGChart.document(width: width, height: y, title: "seq2seq translate: attention weights", panels: panels)
    }
}
