import _ToolSupport

/// `series predict --plot`: the series' last rows, the forecast after them and, with
/// quantiles, the outer quantiles as the interval.
enum ForecastPlot {
    static func svg(history: [Float], forecast: [[Float]], point: Int, target: String, window: Int) -> String {
        let shown = min(history.count, max(3 * window, 100))
        let start = history.count - shown
        let past = (start..<history.count).map { (Double($0 + 1), Double(history[$0])) }
        func line(_ values: [Float]) -> [(Double, Double)] {
            [(Double(history.count), Double(history.last!))] + values.enumerated().map { (Double(history.count + $0 + 1), Double($1)) }
        }
        var series = [
            SVGChart.Series(name: "\(target) (history)", color: "#1f77b4", points: past),
            SVGChart.Series(name: "forecast", color: "#d62728", points: line(forecast[point]), markers: true),
        ]
        if forecast.count > 1 {
            series.append(
                SVGChart.Series(name: "interval (lowest quantile)", color: "#d62728", opacity: 0.5, lineWidth: 1, points: line(forecast[0]))
            )
            series.append(
                SVGChart.Series(
                    name: "interval (highest quantile)", color: "#d62728", opacity: 0.5, lineWidth: 1,
                    points: line(forecast[forecast.count - 1])))
        }
        let chart = SVGChart(xLabel: "row", yLabel: target, series: series, markers: [(x: Double(history.count), label: "forecast origin")])
        return SVGChart.document(
            width: 900, height: 420, title: "\(target): forecast from row \(history.count)",
            panels: [chart.render(x: 0, y: 30, width: 900, height: 390)])
    }
}
