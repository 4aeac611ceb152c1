import Foundation
import RNNTraining
import Testing
import ToolTesting

/// `charrnn train --track-gradients`: per-step norms and clipping, per-epoch parameter
/// norms and gradient flow, in the history CSV, the plot and the checkpoint.
@Suite struct TrackGradientsTests {
    static let options = [
        "--data", "c.txt", "--hidden-size", "12", "--num-layers", "2", "--seq-length", "16", "--batch-size", "4",
        "--val-fraction", "0.1", "--clip", "0.3", "--threads", "1", "--quiet",
    ]

    static func csv(_ path: String) throws -> (header: [String], rows: [[String]]) {
        let lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").map {
            $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        }
        return (lines[0], Array(lines.dropFirst()))
    }

    @Test func recordsNormsClippingAndFlowPerEpochAndResumes() throws {
        try withTemporaryDirectory { dir in
            try write(generatedText(words: 700, seed: 9), to: "c.txt", in: dir)
            let r = try ToolProcess.run(
                ["train"] + Self.options + [
                    "--epochs", "2", "--track-gradients", "--checkpoint", "m.safetensors",
                    "--history", "h.csv", "--plot", "p.svg",
                ], in: dir)
            #expect(r.status == 0, "\(r)")
            let (header, rows) = try Self.csv(dir + "/h.csv")
            let column = { (name: String) in try #require(header.firstIndex(of: name), "\(name) in \(header)") }
            let norm = try column("grad_norm"), clipped = try column("clipped"), fraction = try column("clip_fraction")
            let flow0 = try column("flow_100x_k_layer0"), flow1 = try column("flow_100x_k_layer1")
            let parameters = header.filter { $0.hasPrefix("grad_norm:") }
            #expect(parameters.count == 10 && parameters.contains("grad_norm:rnn.weight_hh_l1"), "\(parameters)")
            // Every step: a positive norm, and "clipped" exactly when it exceeds --clip.
            for row in rows {
                let n = try #require(Double(row[norm]))
                #expect(n > 0 && row[clipped] == (n > 0.3 ? "1" : "0"), "\(row)")
            }
            // Each epoch's last step: the share of its steps clipped, the flow's k, each parameter's norm.
            let epochs = Dictionary(grouping: rows, by: { $0[1] })
            #expect(epochs.keys.sorted() == ["1", "2"])
            for (_, steps) in epochs {
                let last = steps.last!
                let share = Double(steps.filter { $0[clipped] == "1" }.count) / Double(steps.count)
                #expect(abs(Double(last[fraction])! - share) < 1e-6, "\(last)")
                for k in [last[flow0], last[flow1]] { #expect(k.isEmpty || (Int(k).map { (0...15).contains($0) } == true), "\(k)") }
                for p in parameters { #expect(Double(last[header.firstIndex(of: p)!]).map { $0 > 0 && $0.isFinite } == true, "\(p)") }
                for row in steps.dropLast() { #expect(row[fraction].isEmpty) }
            }
            #expect(rows.contains { $0[clipped] == "1" } && rows.contains { $0[clipped] == "0" }, "--clip 0.3 fires on some steps only")
            let svg = try String(contentsOfFile: dir + "/p.svg", encoding: .utf8)
            #expect(svg.contains("global gradient norm") && svg.contains("--clip 0.3"))

            // Resumed with tracking: the earlier epochs' records come from the checkpoint.
            let resumed = try ToolProcess.run(
                [
                    "train", "--resume", "m.safetensors", "--epochs", "3", "--track-gradients",
                    "--history", "h3.csv", "--quiet",
                ], in: dir)
            #expect(resumed.status == 0, "\(resumed)")
            let (header3, rows3) = try Self.csv(dir + "/h3.csv")
            #expect(header3 == header)
            #expect(Array(rows3.prefix(rows.count)) == rows)
            #expect(rows3.filter { !$0[fraction].isEmpty }.map { $0[1] } == ["1", "2", "3"])
        }
    }

    /// Stopped mid-epoch and resumed, the epoch's record is the uninterrupted run's: the
    /// checkpoint keeps the epoch's partial sums. (Every column but tokens_per_second.)
    @Test func aResumeMidEpochCompletesTheSameRecord() throws {
        try withTemporaryDirectory { dir in
            try write(generatedText(words: 700, seed: 9), to: "c.txt", in: dir)
            let whole = try ToolProcess.run(
                ["train"] + Self.options + [
                    "--epochs", "1", "--track-gradients", "--checkpoint", "a.safetensors",
                    "--history", "a.csv",
                ], in: dir)
            let part = try ToolProcess.run(
                ["train"] + Self.options + ["--steps", "20", "--track-gradients", "--checkpoint", "b.safetensors"], in: dir)
            let rest = try ToolProcess.run(
                [
                    "train", "--resume", "b.safetensors", "--epochs", "1", "--track-gradients",
                    "--history", "b.csv", "--quiet",
                ], in: dir)
            #expect(whole.status == 0 && part.status == 0 && rest.status == 0, "\(whole)\n\(part)\n\(rest)")
            let a = try Self.csv(dir + "/a.csv"), b = try Self.csv(dir + "/b.csv")
            func timeless(_ rows: [[String]]) -> [[String]] { rows.map { r in r.enumerated().filter { $0.offset != 4 }.map(\.element) } }
            #expect(a.header == b.header)
            #expect(a.rows.count > 20 && timeless(a.rows) == timeless(b.rows))
        }
    }

    /// Tracking observes only: the weights after training are bit for bit those without it.
    @Test func trackingDoesNotChangeTraining() throws {
        try withTemporaryDirectory { dir in
            try write(generatedText(words: 500, seed: 10), to: "c.txt", in: dir)
            let a = try ToolProcess.run(["train"] + Self.options + ["--epochs", "2", "--checkpoint", "a.safetensors"], in: dir)
            let b = try ToolProcess.run(
                ["train"] + Self.options + ["--epochs", "2", "--checkpoint", "b.safetensors", "--track-gradients"], in: dir)
            #expect(a.status == 0 && b.status == 0, "\(a)\n\(b)")
            let x = try Checkpoint.read(path: dir + "/a.safetensors"), y = try Checkpoint.read(path: dir + "/b.safetensors")
            #expect(x.model.parameters.values.map(\.bitPattern) == y.model.parameters.values.map(\.bitPattern))
            #expect(x.training == y.training)
        }
    }
}
