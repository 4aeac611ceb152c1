import Foundation
import RNN
import RNNTraining
import SafeTensors
import Testing
import ToolTesting

/// `charrnn train --cell gru|lstm`, then `sample` and `eval` on the checkpoint, through
/// the binary. (Exact resume of every cell: `ResumeTests`; bad cell options: `BadInputTests`.)
@Suite struct CellTests {
    static let tiny = ["--hidden-size", "16", "--num-layers", "2", "--seq-length", "8", "--batch-size", "4", "--threads", "1"]

    @Test(arguments: [RecurrentCell.gru, .lstm])
    func trainsSamplesAndEvaluates(cell: RecurrentCell) throws {
        try withTemporaryDirectory { dir in
            let text = generatedText(words: 250, seed: 7)
            try write(text, to: "c.txt", in: dir)
            let name = cell.rawValue.uppercased()
            let r = try ToolProcess.run(
                [
                    "train", "--data", "c.txt", "--cell", cell.rawValue, "--epochs", "2", "--checkpoint", "m.safetensors",
                    "--history", "h.csv", "--plot", "p.svg",
                ] + Self.tiny, in: dir)
            #expect(r.status == 0, "\(r)")
            #expect(r.stderr.contains("Model: 2-layer \(name), 16 hidden units, "), "\(r)")
            #expect(try String(contentsOfFile: dir + "/p.svg", encoding: .utf8).contains("2-layer \(name), 16 hidden"))

            // The checkpoint: PyTorch's nn.GRU / nn.LSTM names and gate-stacked shapes, the cell in the metadata.
            let file = try SafeTensorsFile.read(path: dir + "/m.safetensors")
            let V = Vocabulary(text: text).count, G = cell.gateCount
            #expect(file.metadata["configuration"]?.contains(#""cell":"\#(cell.rawValue)""#) == true)
            #expect(file.tensors["rnn.weight_ih_l0"]?.shape == [G * 16, V])
            #expect(file.tensors["rnn.weight_hh_l0"]?.shape == [G * 16, 16])
            #expect(file.tensors["rnn.weight_ih_l1"]?.shape == [G * 16, 16])
            #expect(file.tensors["rnn.bias_ih_l1"]?.shape == [G * 16] && file.tensors["rnn.bias_hh_l1"]?.shape == [G * 16])
            #expect(file.tensors["fc.weight"]?.shape == [V, 16])
            let checkpoint = try Checkpoint(file)
            #expect(checkpoint.model.rnn.cell == cell && checkpoint.training?.epoch == 2)

            // The loss falls.
            let rows = try String(contentsOfFile: dir + "/h.csv", encoding: .utf8).split(separator: "\n").dropFirst()
            let losses: [Double] = rows.map { Double($0.split(separator: ",", omittingEmptySubsequences: false)[2])! }
            let first: Double = losses.prefix(10).reduce(0, +) / 10, last: Double = losses.suffix(10).reduce(0, +) / 10
            #expect(last < first - 0.3, "mean loss of the first 10 steps \(first), of the last 10 \(last)")

            // Sample: reproducible, the requested length, and it names the cell.
            let s = try ToolProcess.run(
                ["sample", "--checkpoint", "m.safetensors", "--prime", "The ", "--length", "40", "--seed", "2"], in: dir)
            #expect(s.status == 0, "\(s)")
            #expect(s.stdout.hasPrefix("The ") && s.stdout.unicodeScalars.count == 4 + 40 + 1, "\(s)")
            #expect(s.stderr.contains("(2-layer \(name), 16 hidden units, \(V) characters"), "\(s)")
            let again = try ToolProcess.run(
                ["sample", "--checkpoint", "m.safetensors", "--prime", "The ", "--length", "40", "--seed", "2", "--quiet"], in: dir)
            #expect(again.stdout == s.stdout)

            // Greedy sampling one step at a time (state carried: h, and c for the LSTM) equals
            // one forward over the whole sequence.
            let greedy = try ToolProcess.run(
                [
                    "sample", "--checkpoint", "m.safetensors", "--prime", "the", "--length", "12",
                    "--temperature", "0", "--quiet",
                ], in: dir)
            #expect(greedy.status == 0, "\(greedy)")
            let tokens = try checkpoint.vocabulary.encode(String(greedy.stdout.dropLast()))
            let logits = checkpoint.model.forward(.tokens(tokens), batchSize: 1)
            for k in 2..<(tokens.count - 1) {
                let row = logits.row(k)
                #expect(row.indices.max { row[$0] < row[$1] } == Int(tokens[k + 1]), "greedy step \(k)")
            }

            // Eval: the whole text as one stream, state carried across chunks of 256 —
            // the same number as one forward over the text.
            let e = try ToolProcess.run(["eval", "--checkpoint", "m.safetensors", "--data", "c.txt"], in: dir)
            #expect(e.status == 0, "\(e)")
            #expect(e.stdout.contains("(2-layer \(name), 16 hidden units"), "\(e)")
            let line = try #require(e.stdout.split(separator: "\n").first { $0.hasPrefix("cross-entropy") })
            let ce = try #require(Double(line.dropFirst("cross-entropy".count).split(separator: " ").first ?? ""))
            let all = try checkpoint.vocabulary.encode(text)
            let expected = checkpoint.model.loss(.tokens(Array(all.dropLast())), targets: Array(all.dropFirst()), batchSize: 1)
            #expect(abs(ce - expected) < 5e-4, "eval \(ce) vs whole-text forward \(expected)")
        }
    }

    /// `--cell rnn` is the default: the same run with and without it gives the same checkpoint.
    @Test func theDefaultCellIsTheVanillaRNN() throws {
        try withTemporaryDirectory { dir in
            try write(generatedText(words: 120), to: "c.txt", in: dir)
            let a = try ToolProcess.run(
                ["train", "--data", "c.txt", "--steps", "6", "--checkpoint", "a.safetensors", "--quiet"] + tinyModel, in: dir)
            let b = try ToolProcess.run(
                ["train", "--data", "c.txt", "--steps", "6", "--checkpoint", "b.safetensors", "--quiet", "--cell", "rnn"] + tinyModel,
                in: dir)
            #expect(a.status == 0 && b.status == 0, "\(a)\n\(b)")
            let x = try SafeTensorsFile.read(path: dir + "/a.safetensors"), y = try SafeTensorsFile.read(path: dir + "/b.safetensors")
            #expect(x.metadata["configuration"]?.contains(#""cell":"rnn","hiddenSize":16,"nonlinearity":"tanh""#) == true)
            #expect(x.metadata["format_version"] == "4")
            let model = x.tensors.keys.filter { $0.hasPrefix("rnn.") || $0.hasPrefix("fc.") }.sorted()
            let differing = model.filter { x.tensors[$0]?.values.map(\.bitPattern) != y.tensors[$0]?.values.map(\.bitPattern) }
            #expect(model.count == 6 && differing.isEmpty, "\(differing)")
        }
    }
}
