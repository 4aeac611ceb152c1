import Foundation

/// An SVG line chart: series of points on linear x and linear or log₁₀ y axes, with a
/// frame, grid, ticks, axis labels, a legend and optional dashed vertical markers. The
/// drawing behind `LossPlot` and `GradientFlowPlot`; several charts can share one document
/// (`SVGChart.document(width:height:title:panels:)`).
package struct SVGChart {
    package struct Series {
        package var name: String
        package var color: String
        package var opacity = 1.0
        package var lineWidth = 2.0
        package var points: [(Double, Double)]
        /// Dots at the points (when there are at most 200).
        package var markers = false

        package init(
            name: String, color: String, opacity: Double = 1.0, lineWidth: Double = 2.0, points: [(Double, Double)],
            markers: Bool = false
        ) {
            self.name = name
            self.color = color
            self.opacity = opacity
            self.lineWidth = lineWidth
            self.points = points
            self.markers = markers
        }
    }

    package var xLabel: String
    package var yLabel: String
    package var series: [Series]
    /// Plot y on a log₁₀ scale (non-positive values are left out).
    package var logY = false
    /// Integral x ticks (steps, lags).
    package var integralX = true
    /// Dashed vertical lines with optional labels (epoch boundaries); at most 60 drawn.
    package var markers: [(x: Double, label: String?)] = []
    package var legendWidth = 300.0
    /// Clamp the y range's bottom at 0 (losses).
    package var yFromZero = false

    package init(
        xLabel: String, yLabel: String, series: [Series], logY: Bool = false, integralX: Bool = true,
        markers: [(x: Double, label: String?)] = [], legendWidth: Double = 300.0, yFromZero: Bool = false
    ) {
        self.xLabel = xLabel
        self.yLabel = yLabel
        self.series = series
        self.logY = logY
        self.integralX = integralX
        self.markers = markers
        self.legendWidth = legendWidth
        self.yFromZero = yFromZero
    }

    /// The chart drawn in the rectangle `(x, y, width, height)` of a document.
    package func render(x originX: Double, y originY: Double, width: Double, height: Double) -> String {
        let left = originX + 72, right = 24.0, top = originY + 20, bottom = 56.0
        let plotW = width - 72 - right, plotH = height - 20 - bottom
        let shown = series.map { s in (s, s.points.filter { $0.0.isFinite && $0.1.isFinite && (!logY || $0.1 > 0) }) }
        let all = shown.flatMap(\.1)
        guard !all.isEmpty else {
            return "<text x=\"\(originX + width / 2)\" y=\"\(originY + height / 2)\" text-anchor=\"middle\">nothing to plot</text>\n"
        }
        let ty = { (v: Double) in logY ? log10(v) : v }
        var xMin = all.map(\.0).min()!, xMax = all.map(\.0).max()!
        if xMax <= xMin { xMin -= 1; xMax += 1 }
        var yMin = all.map { ty($0.1) }.min()!, yMax = all.map { ty($0.1) }.max()!
        if yMax - yMin < 1e-6 { yMin -= 0.5; yMax += 0.5 }
        let pad = (yMax - yMin) * 0.05
        yMin -= pad; yMax += pad
        if yFromZero { yMin = max(0, yMin) }
        let xTicks = Self.ticks(xMin, xMax, integral: integralX)
        let yTicks =
            logY
            ? Array(Int(yMin.rounded(.up))...max(Int(yMin.rounded(.up)), Int(yMax.rounded(.down)))).map(Double.init)
            : Self.ticks(yMin, yMax, integral: false)
        if let first = xTicks.first, first < xMin { xMin = first }
        let px = { (x: Double) in left + (x - xMin) / (xMax - xMin) * plotW }
        let py = { (y: Double) in top + (1 - (y - yMin) / (yMax - yMin)) * plotH }

        var out = "<g stroke=\"#e6e6e6\" stroke-width=\"1\">\n"
        for y in yTicks where y >= yMin && y <= yMax {
            out += "<line x1=\"\(left)\" y1=\(Self.q(py(y))) x2=\"\(left + plotW)\" y2=\(Self.q(py(y)))/>\n"
        }
        out += "</g>\n"
        if !markers.isEmpty && markers.count <= 60 {
            out += "<g stroke=\"#cccccc\" stroke-width=\"1\" stroke-dasharray=\"3,4\">\n"
            for m in markers { out += "<line x1=\(Self.q(px(m.x))) y1=\"\(top)\" x2=\(Self.q(px(m.x))) y2=\"\(top + plotH)\"/>\n" }
            out += "</g>\n"
            if plotW / Double(markers.count + 1) >= 55 {
                out += "<g fill=\"#999999\" font-size=\"10\">\n"
                for m in markers {
                    if let label = m.label {
                        out += "<text x=\(Self.q(px(m.x) + 4)) y=\"\(top + plotH - 6)\">\(Self.escape(label))</text>\n"
                    }
                }
                out += "</g>\n"
            }
        }
        out += "<rect x=\"\(left)\" y=\"\(top)\" width=\"\(plotW)\" height=\"\(plotH)\" fill=\"none\" stroke=\"#333333\"/>\n"
        out += "<g fill=\"#333333\">\n"
        for x in xTicks where x >= xMin && x <= xMax {
            out += "<line x1=\(Self.q(px(x))) y1=\"\(top + plotH)\" x2=\(Self.q(px(x))) y2=\"\(top + plotH + 5)\" stroke=\"#333333\"/>\n"
            out +=
                "<text x=\(Self.q(px(x))) y=\"\(top + plotH + 19)\" text-anchor=\"middle\">\(integralX ? Self.label(x) : Self.label(x, step: xTicks.count > 1 ? xTicks[1] - xTicks[0] : 1))</text>\n"
        }
        for y in yTicks where y >= yMin && y <= yMax {
            let text = logY ? (y == 0 ? "1" : "1e\(Int(y))") : Self.label(y, step: yTicks.count > 1 ? yTicks[1] - yTicks[0] : 1)
            out += "<line x1=\"\(left - 5)\" y1=\(Self.q(py(y))) x2=\"\(left)\" y2=\(Self.q(py(y))) stroke=\"#333333\"/>\n"
            out += "<text x=\"\(left - 8)\" y=\(Self.q(py(y) + 4)) text-anchor=\"end\">\(text)</text>\n"
        }
        out += "</g>\n"
        out += "<text x=\"\(left + plotW / 2)\" y=\"\(originY + height - 14)\" text-anchor=\"middle\">\(Self.escape(xLabel))</text>\n"
        out +=
            "<text transform=\"translate(\(originX + 18) \(top + plotH / 2)) rotate(-90)\" text-anchor=\"middle\">\(Self.escape(yLabel))</text>\n"

        for (s, points) in shown where !points.isEmpty {
            let path = points.map { "\(Self.f(px($0.0))),\(Self.f(py(ty($0.1))))" }.joined(separator: " ")
            out +=
                "<polyline fill=\"none\" stroke=\"\(s.color)\" stroke-opacity=\"\(s.opacity)\" stroke-width=\"\(s.lineWidth)\" points=\"\(path)\"/>\n"
            if s.markers && points.count <= 200 {
                out += "<g fill=\"\(s.color)\">\n"
                for p in points { out += "<circle cx=\(Self.q(px(p.0))) cy=\(Self.q(py(ty(p.1)))) r=\"3.5\"/>\n" }
                out += "</g>\n"
            }
        }

        let entries = series.filter { !$0.name.isEmpty }
        let legendH = Double(entries.count) * 18 + 10
        let lx = left + plotW - legendWidth - 10, ly = top + 10
        if !entries.isEmpty {
            out +=
                "<rect x=\"\(lx)\" y=\"\(ly)\" width=\"\(legendWidth)\" height=\"\(legendH)\" fill=\"white\" fill-opacity=\"0.9\" stroke=\"#999999\"/>\n"
        }
        for (i, e) in entries.enumerated() {
            let y = ly + 14 + Double(i) * 18
            out +=
                "<line x1=\"\(lx + 10)\" y1=\"\(y - 4)\" x2=\"\(lx + 40)\" y2=\"\(y - 4)\" stroke=\"\(e.color)\" stroke-opacity=\"\(e.opacity)\" stroke-width=\"\(e.lineWidth + 1)\"/>\n"
            out += "<text x=\"\(lx + 48)\" y=\"\(y)\">\(Self.escape(e.name))</text>\n"
        }
        return out
    }

    /// An SVG document of `width × height` with `title` and the panels' drawings.
    package static func document(width: Double, height: Double, title: String, panels: [String]) -> String {
        """
        <svg xmlns="http://www.w3.org/2000/svg" width="\(Int(width))" height="\(Int(height))" viewBox="0 0 \(Int(width)) \(Int(height))" font-family="Helvetica, Arial, sans-serif" font-size="12">
        <rect width="100%" height="100%" fill="white"/>
        <text x="\(width / 2)" y="24" text-anchor="middle" font-size="16" font-weight="bold">\(escape(title))</text>

        """ + panels.joined() + "</svg>\n"
    }

    /// At most `limit` points: consecutive points averaged in equal buckets.
    package static func bucketed(_ points: [(Double, Double)], limit: Int) -> [(Double, Double)] {
        guard points.count > limit else { return points }
        var out: [(Double, Double)] = []
        let size = Double(points.count) / Double(limit)
        for k in 0..<limit {
            let lo = Int(Double(k) * size), hi = max(lo + 1, Int(Double(k + 1) * size))
            let slice = points[lo..<min(hi, points.count)]
            out.append((slice.map(\.0).reduce(0, +) / Double(slice.count), slice.map(\.1).reduce(0, +) / Double(slice.count)))
        }
        return out
    }

    /// About five "nice" tick values (1, 2, 2.5 or 5 times a power of ten apart) covering `lo...hi`.
    package static func ticks(_ lo: Double, _ hi: Double, integral: Bool) -> [Double] {
        let raw = (hi - lo) / (integral ? 6 : 7)
        let magnitude = pow(10, floor(log10(raw)))
        var step = [1, 2, 2.5, 5, 10].map { $0 * magnitude }.first { $0 >= raw } ?? 10 * magnitude
        if integral { step = max(1, step.rounded()) }
        var out: [Double] = []
        var v = (lo / step).rounded(.down) * step
        while v <= hi + step * 1e-9 && out.count < 50 {
            if v >= lo - step * 1e-9 || (integral && v < lo) { out.append(v) }
            v += step
        }
        return out
    }

    /// An integral tick label with thousands separators.
    package static func label(_ v: Double) -> String {
        abs(v) < 1e15 ? Format.count(Int(v.rounded())) : String(format: "%g", v)
    }

    /// A tick label with as many decimals as the tick spacing `step` needs.
    package static func label(_ v: Double, step: Double) -> String {
        var decimals = 0
        while decimals < 6 && abs(step * pow(10, Double(decimals)) - (step * pow(10, Double(decimals))).rounded()) > 1e-6 {
            decimals += 1
        }
        return String(format: "%.\(decimals)f", v)
    }

    package static func f(_ v: Double) -> String { String(format: "%.1f", v) }
    package static func q(_ v: Double) -> String { "\"\(f(v))\"" }

    package static func escape(_ s: String) -> String {
        s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }
}
