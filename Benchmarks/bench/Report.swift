import Foundation
import Linalg

/// The human-readable tables and the `--json` file.
enum Report {
    /// A text table with right-aligned columns except the first.
    static func table(_ header: [String], _ rows: [[String]]) -> String {
        let widths = header.indices.map { i in ([header] + rows).map { $0[i].count }.max() ?? 0 }
        func line(_ cells: [String]) -> String {
            cells.enumerated().map { i, cell in
                let pad = String(repeating: " ", count: widths[i] - cell.count)
                return i == 0 ? cell + pad : pad + cell
            }.joined(separator: "  ")
        }
        let rule = String(repeating: "-", count: widths.reduce(0, +) + 2 * (widths.count - 1))
        return ([line(header), rule] + rows.map(line)).joined(separator: "\n")
    }

    static func fixed(_ x: Double, _ digits: Int) -> String { String(format: "%.\(digits)f", x) }

    /// Seconds with three significant-ish digits: 0.00123, 0.0456, 1.23, 12.3.
    static func seconds(_ x: Double) -> String {
        x >= 10 ? fixed(x, 1) : x >= 1 ? fixed(x, 2) : x >= 0.1 ? fixed(x, 3) : x >= 0.01 ? fixed(x, 4) : fixed(x, 5)
    }

    /// Thousands-grouped integer: 123,456.
    static func grouped(_ x: Double) -> String {
        let n = Int(x.rounded())
        var s = String(abs(n)), out = ""
        while s.count > 3 { out = "," + s.suffix(3) + out; s.removeLast(3) }
        return (n < 0 ? "-" : "") + s + out
    }

    /// The precision a bench ran in (fp32 unless given) and the instructions oneDNN runs
    /// here: "bf16 (oneDNN ISA avx512_core_bf16)". Both the training and the inference
    /// headers name them so.
    static func precisionAndISA(_ precision: String?) -> String {
        "\(precision ?? "fp32") (oneDNN ISA \(BF16Support.current.isa))"
    }

    static func header(_ run: Suite.Run) -> String {
        let threads = run.threads
        var s =
            "bench · \(BuildConfiguration.name) build · \(Machine.cpuModel), \(Machine.processors) processors · "
            + "\(threads) thread\(threads == 1 ? "" : "s") · GEMM \(GEMM.backend.displayName) "
            + "\(precisionAndISA(run.results.first?.precision)) · "
            + "kernels \(Machine.elementwiseKernels)"
        s += "\nFMA peak \(fixed(run.fmaPeak, 1)) GFLOP/s (\(run.fmaPeakMethod))"
        s += "\nsgemm peak \(fixed(run.peak, 1)) GFLOP/s (\(run.peakMethod))"
        let others = run.sgemmPeaks.filter { $0.key != GEMM.backend.rawValue }.sorted { $0.key < $1.key }
        for (name, gflops) in others {
            s += "; \(GEMMBackend(rawValue: name)?.displayName ?? name) sgemm peak \(fixed(gflops, 1)) GFLOP/s"
        }
        if !BuildConfiguration.isRelease { s += "\n" + BuildConfiguration.debugWarning }
        return s
    }

    static func throughputTable(_ results: [BenchResult]) -> String {
        let head = [
            "config", "cell", "V", "H", "L", "B", "T", "split", "tokens/epoch", "epoch seconds", "median s",
            "tokens/s", "FLOP/token", "GFLOP/s", "% FMA", "% oneDNN", "% OpenBLAS", "% local", "ceiling",
            "% ceil", "loss", "others",
        ]
        let rows = results.map { r -> [String] in
            let c = r.configuration.setup
            return [
                c.name, c.cell.rawValue, "\(c.vocab)", "\(c.hidden)", "\(c.layers)", "\(c.batch)", "\(c.seqLength)",
                r.workers > 1 ? "\(r.parallelism)/\(r.workers)" : r.parallelism,
                grouped(Double(c.tokensPerEpoch)),
                r.epochSeconds.map(seconds).joined(separator: " "),
                seconds(r.medianEpochSeconds), grouped(r.tokensPerSecond),
                grouped(r.flopsPerToken), fixed(r.achievedGflops, 2), fixed(r.percentOfFmaPeak, 1),
                r.percentOfSgemmPeakByBackend[GEMMBackend.oneDNN.rawValue].map { fixed($0, 1) } ?? "-",
                r.percentOfSgemmPeakByBackend[GEMMBackend.openBLAS.rawValue].map { fixed($0, 1) } ?? "-",
                fixed(r.percentOfLocalPeak, 1),
                r.gemmCeilingPercentOfFmaPeak.map { fixed($0, 1) } ?? "-",
                r.percentOfGemmCeiling.map { fixed($0, 1) } ?? "-",
                fixed(r.epochLosses.last ?? .nan, 3),
                r.othersCpuPercent.map { fixed($0, 0) + "%" } ?? "-",
            ]
        }
        return table(head, rows)
    }

    /// Short column names for the phases, in `PhaseProfiler.Phase` order plus "other".
    static let phaseColumns: [String: String] = [
        "input projection": "input proj", "forward recurrence": "fwd recur", "output layer + loss": "out+loss",
        "backward recurrence": "bwd recur", "weight gradients": "weight grads", "elementwise": "elementwise",
        "optimizer": "optimizer", "other": "other",
    ]

    static func phaseTable(_ results: [BenchResult]) -> String? {
        let profiled = results.filter { $0.phases != nil }
        guard let first = profiled.first?.phases else { return nil }
        let head = ["config"] + first.map { phaseColumns[$0.phase] ?? $0.phase } + ["epochs", "epoch s", "overhead"]
        let rows = profiled.map { r -> [String] in
            [r.configuration.label] + r.phases!.map { fixed($0.percent, 1) + "%" }
                + ["\(r.profiledEpochs ?? 0)", seconds(r.profiledEpochSeconds ?? 0), fixed(r.profilerOverheadPercent ?? 0, 1) + "%"]
        }
        return table(head, rows)
    }

    /// GFLOP/s (and % of the FMA peak) of each GEMM phase while profiled.
    static func phaseRateTable(_ results: [BenchResult]) -> String? {
        let profiled = results.filter { $0.phases != nil }
        guard let first = profiled.first?.phases else { return nil }
        let columns = first.indices.filter { i in profiled.contains { $0.phases![i].flopsPerToken != nil } }
        let head = ["config"] + columns.map { phaseColumns[first[$0].phase] ?? first[$0].phase }
        let rows = profiled.map { r -> [String] in
            [r.configuration.label]
                + columns.map { i in
                    guard let g = r.phases![i].gflops else { return "-" }
                    return fixed(g, 1) + " (" + fixed(100 * g / r.fmaPeakGflops, 0) + "%)"
                }
        }
        return table(head, rows)
    }

    /// Everything printed for one thread count: the header, notes, the throughput table,
    /// the per-phase shares and the GEMM phases' rates.
    static func suite(_ run: Suite.Run) -> String {
        var parts = ["", header(run)]
        if let warning = run.busyWarning { parts.append(warning) }
        let disturbed = run.results.filter { ($0.othersCpuPercent ?? 0) > 20 }.map(\.configuration.label)
        if !disturbed.isEmpty {
            parts.append(
                "note: other processes used more than 20% of the processors while "
                    + disturbed.joined(separator: ", ") + " ran (column \"others\"); those timings are disturbed.")
        }
        parts.append(throughputTable(run.results))
        if let phases = phaseTable(run.results) {
            parts += [
                "",
                "Share of the profiled epochs' time per phase (epochs profiled, their mean seconds, "
                    + "and how much slower than the unprofiled median):", phases,
            ]
        }
        if let rates = phaseRateTable(run.results) {
            parts += [
                "",
                "GFLOP/s of the GEMM phases while profiled (% of the FMA peak); "
                    + "FLOPs per phase in --help:", rates,
            ]
        }
        return parts.joined(separator: "\n")
    }

    static func writeJSON(_ results: [BenchResult], to path: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        try encoder.encode(results).write(to: URL(fileURLWithPath: path), options: .atomic)
    }

    static func writeConfigurationsJSON(_ configs: [BenchResult.Configuration], to path: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        encoder.keyEncodingStrategy = .convertToSnakeCase
        try encoder.encode(configs).write(to: URL(fileURLWithPath: path), options: .atomic)
    }
}
