import Foundation
import RNN

/// Number and duration formatting for progress lines and summaries.
package enum Format {
    /// A loss with 4 decimals.
    package static func loss(_ x: Double) -> String { x.isFinite ? String(format: "%.4f", x) : "\(x)" }

    /// A user-given number as typed (shortest round-trip form).
    package static func number(_ x: Float) -> String {
        let text = "\(x)"
        return text.hasSuffix(".0") ? String(text.dropLast(2)) : text
    }

    /// An integer with thousands separators: `1,115,394`.
    package static func count(_ n: Int) -> String {
        let digits = String(n.magnitude)
        var out = ""
        for (i, c) in digits.enumerated() {
            if i > 0 && (digits.count - i) % 3 == 0 { out.append(",") }
            out.append(c)
        }
        return (n < 0 ? "-" : "") + out
    }

    /// A throughput: `812`, `52.1k`, `1.30M`.
    package static func rate(_ x: Double) -> String {
        guard x.isFinite else { return "-" }
        if x >= 1e6 { return String(format: "%.2fM", x / 1e6) }
        if x >= 1e4 { return String(format: "%.1fk", x / 1e3) }
        return String(format: "%.0f", x)
    }

    /// A duration: `0.42s`, `12.3s`, `3m05s`, `1h02m`.
    package static func duration(_ seconds: Double) -> String {
        guard seconds.isFinite, seconds >= 0 else { return "-" }
        if seconds < 1 { return String(format: "%.0f ms", seconds * 1000) }
        if seconds < 10 { return String(format: "%.2fs", seconds) }
        if seconds < 60 { return String(format: "%.1fs", seconds) }
        let s = Int(seconds.rounded())
        if s < 3600 { return String(format: "%dm%02ds", s / 60, s % 60) }
        return String(format: "%dh%02dm", s / 3600, (s % 3600) / 60)
    }

    /// A recurrent stack in words: `2-layer LSTM`, `1-layer GRU`, `2-layer tanh RNN`
    /// (the activation only for the vanilla RNN, the one cell where it is a choice).
    package static func stack(cell: RecurrentCell, nonlinearity: Nonlinearity?, numLayers: Int) -> String {
        "\(numLayers)-layer " + (cell == .rnn ? "\((nonlinearity ?? .tanh).rawValue) RNN" : cell.displayName)
    }

    /// What a model has besides its stack, in words: `, a 128-wide embedding (tied to
    /// the output layer), dropout 0.3`, or "" for one-hot input without dropout.
    package static func inputAndDropout(_ c: ManyToManyModel.Configuration) -> String {
        var s = ""
        if c.embeddingSize > 0 { s += ", a \(c.embeddingSize)-wide embedding\(c.tiedWeights ? " (tied to the output layer)" : "")" }
        if c.dropout > 0 { s += ", dropout \(number(c.dropout))" }
        return s
    }

    /// `4.373 bits/char`: a loss in nats as bits per `unit`.
    package static func bits(_ loss: Double, per unit: String) -> String { String(format: "%.3f", loss / log(2)) + " bits/\(unit)" }

    /// `1 character`, `2 characters`.
    /// `812 bytes`, `14.2 kB`, `3.4 MB`, `1.2 GB` (powers of 1000).
    package static func bytes(_ n: Int) -> String {
        if n < 1000 { return plural(n, "byte") }
        let (value, unit) = n < 1_000_000 ? (Double(n) / 1e3, "kB") : n < 1_000_000_000 ? (Double(n) / 1e6, "MB") : (Double(n) / 1e9, "GB")
        return String(format: "%.1f", value) + " " + unit
    }

    package static func plural(_ n: Int, _ word: String) -> String { "\(count(n)) \(word)\(n == 1 ? "" : "s")" }
}

/// Seconds since an arbitrary fixed point (monotonic).
package func now() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9
}

extension RecurrentCell {
    /// `RNN`, `GRU`, `LSTM`.
    package var displayName: String { rawValue.uppercased() }
}
