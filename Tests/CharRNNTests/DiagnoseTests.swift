import Foundation
import Testing
import ToolTesting

/// `charrnn diagnose` on a checkpoint of each cell: the table, the JSON and the SVG, and
/// the bad input `eval` refuses.
@Suite struct DiagnoseTests {
    static func jsonObject(_ path: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as? [String: Any])
    }

    @Test(arguments: ["rnn", "gru", "lstm"])
    func measuresEachCell(_ cell: String) throws {
        try withTemporaryDirectory { dir in
            try write(generatedText(words: 600, seed: 5), to: "c.txt", in: dir)
            let t = try ToolProcess.run(
                [
                    "train", "--data", "c.txt", "--cell", cell, "--num-layers", "2", "--hidden-size", "12",
                    "--seq-length", "16", "--batch-size", "4", "--steps", "5", "--checkpoint", "m.safetensors",
                    "--threads", "1", "--quiet",
                ], in: dir)
            #expect(t.status == 0, "\(t)")
            let r = try ToolProcess.run(
                [
                    "diagnose", "--checkpoint", "m.safetensors", "--data", "c.txt", "--horizon", "10",
                    "--batch-size", "3", "--json", "d.json", "--plot", "d.svg",
                ], in: dir)
            #expect(r.status == 0 && r.stderr.isEmpty, "\(r)")
            #expect(
                r.stdout.contains("gradient norm") && r.stdout.contains("W_hh spectrum") && r.stdout.contains("100× smaller at"), "\(r)")
            #expect(r.stdout.contains("3 streams × 20 steps"), "\(r)")
            #expect(r.stdout.contains("gates") == (cell != "rnn"), "\(r)")

            let json = try Self.jsonObject(dir + "/d.json")
            let norms = try #require(json["gradient_norms"] as? [[Double]])
            #expect(norms.count == 2 && norms.allSatisfy { $0.count == 11 && $0.allSatisfy { $0.isFinite && $0 >= 0 } })
            #expect(norms.allSatisfy { $0[0] > 0 })
            let gates = cell == "rnn" ? 1 : cell == "gru" ? 3 : 4
            let singular = try #require(json["singular_values"] as? [[Double]])
            #expect(singular.count == 2 * gates && singular.allSatisfy { $0.count == 12 && $0 == $0.sorted(by: >) })
            let blocks = try #require(json["weight_blocks"] as? [[String: Any]])
            #expect(blocks.count == 2 * gates && blocks.allSatisfy { ($0["spectral_radius"] as? Double).map { $0 > 0 } == true })
            #expect((json["gate_statistics"] as? [Any])?.count == (cell == "rnn" ? 0 : 2 * gates))
            #expect(json["horizon"] as? Int == 10 && json["cell"] as? String == cell)

            let svg = try String(contentsOfFile: dir + "/d.svg", encoding: .utf8)
            #expect(svg.hasPrefix("<svg") && svg.hasSuffix("</svg>\n"))
            #expect(svg.components(separatedBy: "<polyline").count - 1 == 2 + 2 * gates, "a curve per layer and per W_hh block")
        }
    }

    @Test func badInputIsRefusedAsEvalRefusesIt() throws {
        try withTemporaryDirectory { dir in
            try write(generatedText(words: 300, seed: 6), to: "c.txt", in: dir)
            try write("hé", to: "short.txt", in: dir)
            try write("zzz unknown ЖЖ", to: "other.txt", in: dir)
            let t = try ToolProcess.run(
                ["train", "--data", "c.txt", "--steps", "2", "--checkpoint", "m.safetensors", "--quiet"] + tinyModel, in: dir)
            #expect(t.status == 0, "\(t)")
            let cases: [([String], String)] = [
                (["--checkpoint", "missing.safetensors", "--data", "c.txt"], "does not exist"),
                (["--checkpoint", "c.txt", "--data", "c.txt"], "is not a"),
                (["--checkpoint", "m.safetensors", "--data", "missing.txt"], "does not exist"),
                (["--checkpoint", "m.safetensors", "--data", "other.txt"], "--skip-unknown"),
                (["--checkpoint", "m.safetensors", "--data", "c.txt", "--horizon", "0"], "--horizon must be between 1 and 10000"),
                (
                    ["--checkpoint", "m.safetensors", "--data", "c.txt", "--horizon", "20", "--seq-length", "20"],
                    "must be larger than --horizon"
                ),
                (["--checkpoint", "m.safetensors", "--data", "c.txt", "--horizon", "5000"], "use a longer text or a smaller --horizon"),
                (["--checkpoint", "m.safetensors", "--data", "c.txt", "--json", "nodir/d.json"], "--json"),
            ]
            for (arguments, message) in cases {
                let r = try ToolProcess.run(["diagnose"] + arguments, in: dir)
                #expect(r.status != 0 && !r.signaled, "\(arguments): \(r)")
                #expect(r.stderr.hasPrefix("error: ") && r.stderr.contains(message), "\(arguments): \(r)")
                #expect(!r.stderr.contains("Backtrace") && r.stdout.isEmpty, "\(arguments): \(r)")
            }
            #expect(!FileManager.default.fileExists(atPath: dir + "/nodir"))
        }
    }
}
