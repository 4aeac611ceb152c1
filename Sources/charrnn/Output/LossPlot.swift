import Foundation

/// An SVG line chart of a run's loss curves: the train loss per step (light), its moving
/// average, and the validation loss per epoch (with markers), with axes, ticks, labels,
/// a legend and faint epoch boundaries.
struct LossPlot {
    var title: String
    var width = 800.0
    var height = 480.0

    /// The SVG document for `history` (a placeholder message when it has no rows).
    func svg(_ history: History) -> String {
        let rows = history.rows.filter { $0.trainLoss.isFinite }
        let left = 72.0, right = 24.0, top = 44.0, bottom = 56.0
        let plotW = width - left - right, plotH = height - top - bottom
        var out = """
            <svg xmlns="http://www.w3.org/2000/svg" width="\(Int(width))" height="\(Int(height))" viewBox="0 0 \(Int(width)) \(Int(height))" font-family="Helvetica, Arial, sans-serif" font-size="12">
            <rect width="100%" height="100%" fill="white"/>
            <text x="\(width / 2)" y="24" text-anchor="middle" font-size="16" font-weight="bold">\(Self.escape(title))</text>

            """
        guard !rows.isEmpty else {
            out += "<text x=\"\(width / 2)\" y=\"\(height / 2)\" text-anchor=\"middle\">no training steps recorded</text>\n</svg>\n"
            return out
        }

        // Series.
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
        let rawShown = Self.bucketed(raw, limit: 1500)
        let smoothShown = Self.bucketed(smooth, limit: 1500)

        // Scales.
        var xMin = raw.first!.0, xMax = raw.last!.0
        if xMax <= xMin { xMin -= 1; xMax += 1 }
        let ys = rawShown.map(\.1) + validation.map(\.1)
        var yMin = ys.min()!, yMax = ys.max()!
        if yMax - yMin < 1e-6 { yMin -= 0.5; yMax += 0.5 }
        let pad = (yMax - yMin) * 0.05
        yMin = max(0, yMin - pad); yMax += pad
        let xTicks = Self.ticks(xMin, xMax, integral: true)
        let yTicks = Self.ticks(yMin, yMax, integral: false)
        if let first = xTicks.first, first < xMin { xMin = first }
        let px = { (x: Double) in left + (x - xMin) / (xMax - xMin) * plotW }
        let py = { (y: Double) in top + (1 - (y - yMin) / (yMax - yMin)) * plotH }

        // Grid, epoch boundaries, axes, ticks.
        out += "<g stroke=\"#e6e6e6\" stroke-width=\"1\">\n"
        for y in yTicks where y >= yMin && y <= yMax { out += "<line x1=\"\(left)\" y1=\(Self.q(py(y))) x2=\"\(left + plotW)\" y2=\(Self.q(py(y)))/>\n" }
        out += "</g>\n"
        var epochEnds: [Double] = []
        for i in rows.indices.dropLast() where rows[i + 1].epoch != rows[i].epoch { epochEnds.append(Double(rows[i].step)) }
        if !epochEnds.isEmpty && epochEnds.count <= 60 {
            out += "<g stroke=\"#cccccc\" stroke-width=\"1\" stroke-dasharray=\"3,4\">\n"
            for x in epochEnds { out += "<line x1=\(Self.q(px(x))) y1=\"\(top)\" x2=\(Self.q(px(x))) y2=\"\(top + plotH)\"/>\n" }
            out += "</g>\n"
            // Label the epochs when there is room.
            if plotW / Double(epochEnds.count + 1) >= 55 {
                out += "<g fill=\"#999999\" font-size=\"10\">\n"
                for (k, x) in epochEnds.enumerated() {
                    out += "<text x=\(Self.q(px(x) + 4)) y=\"\(top + plotH - 6)\">epoch \(rows.first!.epoch + k + 1)</text>\n"
                }
                out += "</g>\n"
            }
        }
        out += "<rect x=\"\(left)\" y=\"\(top)\" width=\"\(plotW)\" height=\"\(plotH)\" fill=\"none\" stroke=\"#333333\"/>\n"
        out += "<g fill=\"#333333\">\n"
        for x in xTicks where x >= xMin && x <= xMax {
            out += "<line x1=\(Self.q(px(x))) y1=\"\(top + plotH)\" x2=\(Self.q(px(x))) y2=\"\(top + plotH + 5)\" stroke=\"#333333\"/>\n"
            out += "<text x=\(Self.q(px(x))) y=\"\(top + plotH + 19)\" text-anchor=\"middle\">\(Self.label(x))</text>\n"
        }
        for y in yTicks where y >= yMin && y <= yMax {
            out += "<line x1=\"\(left - 5)\" y1=\(Self.q(py(y))) x2=\"\(left)\" y2=\(Self.q(py(y))) stroke=\"#333333\"/>\n"
            out += "<text x=\"\(left - 8)\" y=\(Self.q(py(y) + 4)) text-anchor=\"end\">\(Self.label(y, step: yTicks.count > 1 ? yTicks[1] - yTicks[0] : 1))</text>\n"
        }
        out += "</g>\n"
        out += "<text x=\"\(left + plotW / 2)\" y=\"\(height - 14)\" text-anchor=\"middle\">step</text>\n"
        out += "<text transform=\"translate(18 \(top + plotH / 2)) rotate(-90)\" text-anchor=\"middle\">cross-entropy (nats per character)</text>\n"

        // Curves.
        func path(_ points: [(Double, Double)]) -> String {
            points.map { "\(Self.f(px($0.0))),\(Self.f(py($0.1)))" }.joined(separator: " ")
        }
        out += "<polyline fill=\"none\" stroke=\"#1f77b4\" stroke-opacity=\"0.3\" stroke-width=\"1\" points=\"\(path(rawShown))\"/>\n"
        if window > 1 {
            out += "<polyline fill=\"none\" stroke=\"#1f77b4\" stroke-width=\"2\" points=\"\(path(smoothShown))\"/>\n"
        }
        if !validation.isEmpty {
            out += "<polyline fill=\"none\" stroke=\"#ff7f0e\" stroke-width=\"2\" points=\"\(path(validation))\"/>\n"
            if validation.count <= 200 {
                out += "<g fill=\"#ff7f0e\">\n"
                for p in validation { out += "<circle cx=\(Self.q(px(p.0))) cy=\(Self.q(py(p.1))) r=\"3.5\"/>\n" }
                out += "</g>\n"
            }
        }

        // Legend.
        var entries: [(String, String, Double, Double)] = [("train loss (per step)", "#1f77b4", 0.3, 1)]
        if window > 1 { entries.append(("train loss (moving average of \(window) steps)", "#1f77b4", 1, 2)) }
        if !validation.isEmpty { entries.append(("validation loss (end of each epoch)", "#ff7f0e", 1, 2)) }
        let legendW = 300.0, legendH = Double(entries.count) * 18 + 10
        let lx = left + plotW - legendW - 10, ly = top + 10
        out += "<rect x=\"\(lx)\" y=\"\(ly)\" width=\"\(legendW)\" height=\"\(legendH)\" fill=\"white\" fill-opacity=\"0.9\" stroke=\"#999999\"/>\n"
        for (i, e) in entries.enumerated() {
            let y = ly + 14 + Double(i) * 18
            out += "<line x1=\"\(lx + 10)\" y1=\"\(y - 4)\" x2=\"\(lx + 40)\" y2=\"\(y - 4)\" stroke=\"\(e.1)\" stroke-opacity=\"\(e.2)\" stroke-width=\"\(e.3 + 1)\"/>\n"
            out += "<text x=\"\(lx + 48)\" y=\"\(y)\">\(Self.escape(e.0))</text>\n"
        }
        out += "</svg>\n"
        return out
    }

    /// At most `limit` points: consecutive points averaged in equal buckets.
    static func bucketed(_ points: [(Double, Double)], limit: Int) -> [(Double, Double)] {
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
    static func ticks(_ lo: Double, _ hi: Double, integral: Bool) -> [Double] {
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
    static func label(_ v: Double) -> String {
        abs(v) < 1e15 ? Format.count(Int(v.rounded())) : String(format: "%g", v)
    }

    /// A tick label with as many decimals as the tick spacing `step` needs.
    static func label(_ v: Double, step: Double) -> String {
        var decimals = 0
        while decimals < 6 && abs(step * pow(10, Double(decimals)) - (step * pow(10, Double(decimals))).rounded()) > 1e-6 {
            decimals += 1
        }
        return String(format: "%.\(decimals)f", v)
    }

    static func f(_ v: Double) -> String { String(format: "%.1f", v) }
    static func q(_ v: Double) -> String { "\"\(f(v))\"" }

    static func escape(_ s: String) -> String {
        s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }
}
