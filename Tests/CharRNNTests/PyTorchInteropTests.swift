import Foundation
import Linalg
import RNN
import RNNTraining
import Testing
import ToolTesting

/// Documents (and checks, where PyTorch is installed) how a checkpoint of each cell loads
/// into `torch.nn.RNN` / `torch.nn.GRU` / `torch.nn.LSTM` + `torch.nn.Linear`:
///
/// 1. `charrnn train --data c.txt --cell gru --steps 50 --checkpoint m.safetensors` (stops mid-epoch,
///    so the file carries a hidden state: `[L, B, H]`, or `[2, L, B, H]` = (h, c) for the LSTM)
/// 2. `charrnn sample --checkpoint m.safetensors --prime "the " --length 30 --temperature 0 --dump-logits l.jsonl > s.txt`
/// 3. `python scripts/load_checkpoint_pytorch.py m.safetensors --prime "the " --logits l.jsonl --expect-file s.txt --export t.safetensors --carried-logits k.json`
///    loads the tensors with `safetensors.torch.load_file` and `load_state_dict(strict=True)` on
///    `rnn.*` + `fc.*`, runs the same greedy sample, compares the logits step by step
///    (|difference| <= 1e-4) and the text, writes the model back with `safetensors.torch.save_file`,
///    and runs every stream from the carried `training.hidden_state` through the prime;
/// 4. those logits equal the Swift model's from the same state (so the state layout is PyTorch's),
///    and `charrnn sample --checkpoint t.safetensors ...` reads PyTorch's file and prints the same text.
@Suite struct PyTorchInteropTests {
    @Test(
        .precision(.fp32),
        .enabled(if: TorchPython.path != nil, Comment(rawValue: TorchPython.skipReason)),
        arguments: [RecurrentCell.rnn, .gru, .lstm])
    func checkpointLoadsIntoTorchAndBack(cell: RecurrentCell) throws {
        try withTemporaryDirectory { dir in
            // The vanilla RNN with relu (the option only it has); GRU and LSTM with their fixed gates.
            let (sample, text) = try Self.trainSampleAndLoad(
                cell == .rnn ? ["--nonlinearity", "relu"] : ["--cell", cell.rawValue],
                in: dir)
            let module = ["rnn": "nn.RNN(", "gru": "nn.GRU(", "lstm": "nn.LSTM("][cell.rawValue]!
            #expect(
                text.contains("(cell \(cell.rawValue)) into torch") && text.contains(module) && text.contains(", 24, num_layers=2"),
                "\(text)")
            #expect(text.contains("nonlinearity='relu'") == (cell == .rnn), "\(text)")
            #expect(text.contains("load_state_dict(strict=True): 10 tensors (rnn.*, fc.*)"), "\(text)")
            let carried =
                cell == .lstm
                ? "training.hidden_state [2, 2, 4, 24]: the carried (h_0, c_0) of nn.LSTM"
                : "training.hidden_state [2, 4, 24]: the carried h_0 of \(module.dropLast())"
            #expect(text.contains(carried), "\(text)")
            #expect(text.contains("logits vs charrnn (l.jsonl): 30 steps"), "\(text)")
            #expect(text.contains("text vs charrnn: identical"), "\(text)")
            #expect(text.hasSuffix("OK\n"), "\(text)")

            try Self.expectCarriedLogitsAndExportMatch(sample: sample, in: dir)
            #expect(try Checkpoint.read(path: dir + "/t.safetensors").model.rnn.cell == cell)
        }
    }

    /// A run trained in bf16 writes the same fp32 checkpoint: PyTorch loads it and, from
    /// it, gives the logits and the greedy text of charrnn's fp32 sample.
    @Test(
        .precision(.fp32),
        .enabled(if: TorchPython.path != nil, Comment(rawValue: TorchPython.skipReason)),
        .enabled(if: BF16Support.current.isAvailable, "skipped: no avx512_bf16"))
    func aBF16TrainedCheckpointLoadsIntoTorch() throws {
        try withTemporaryDirectory { dir in
            let (sample, text) = try Self.trainSampleAndLoad(["--cell", "lstm", "--precision", "bf16"], in: dir)
            #expect(text.contains("load_state_dict(strict=True): 10 tensors (rnn.*, fc.*)"), "\(text)")
            #expect(text.contains("text vs charrnn: identical") && text.hasSuffix("OK\n"), "\(text)")
            try Self.expectCarriedLogitsAndExportMatch(sample: sample, in: dir)
        }
    }

    /// A word_language_model-shaped checkpoint — an embedding, dropout 0.2, the output layer
    /// tied to the embedding or not — loads into `nn.Embedding` + `nn.LSTM(dropout=0.2)` +
    /// `nn.Linear` (tied: `fc.weight = embedding.weight`, loaded with `strict=False` and only
    /// `fc.weight` missing) and gives charrnn's logits in eval mode; PyTorch's
    /// `save_model` file of the tied module (the shared tensor once) reads back.
    @Test(
        .precision(.fp32),
        .enabled(if: TorchPython.path != nil, Comment(rawValue: TorchPython.skipReason)),
        arguments: [false, true])
    func embeddingCheckpointLoadsIntoTorchAndBack(tied: Bool) throws {
        try withTemporaryDirectory { dir in
            let (sample, text) = try Self.trainSampleAndLoad(
                ["--cell", "lstm", "--embedding-size", "24", "--dropout", "0.2"]
                    + (tied ? ["--tie-weights"] : []), in: dir)
            #expect(text.contains("nn.Embedding(") && text.contains("nn.LSTM(24, 24, num_layers=2, dropout=0.2) + nn.Linear"), "\(text)")
            #expect(text.contains("(weight tied to the embedding)") == tied, "\(text)")
            #expect(
                text.contains(
                    tied
                        ? "load_state_dict(strict=False, fc.weight tied to embedding.weight): 11 tensors (embedding.*, rnn.*, fc.*)"
                        : "load_state_dict(strict=True): 11 tensors (embedding.*, rnn.*, fc.*)"), "\(text)")
            #expect(text.contains("logits vs charrnn (l.jsonl): 30 steps") && text.contains("text vs charrnn: identical"), "\(text)")
            #expect(text.contains(tied ? "safetensors.torch.save_model" : "safetensors.torch.save_file"), "\(text)")
            #expect(text.hasSuffix("OK\n"), "\(text)")
            try Self.expectCarriedLogitsAndExportMatch(sample: sample, in: dir)
            let back = try Checkpoint.read(path: dir + "/t.safetensors").model.configuration
            #expect(back.embeddingSize == 24 && back.tiedWeights == tied && back.dropout == 0.2)
        }
    }

    /// Trains a 2x24 model with `modelOptions` for 50 steps (mid-epoch: a carried state),
    /// samples 30 characters greedily with their logits, and runs the script on it;
    /// returns the sample and the script's output (its exit status expected 0).
    static func trainSampleAndLoad(_ modelOptions: [String], in dir: String) throws -> (sample: ToolProcess.Result, script: String) {
        try write(generatedText(words: 300, seed: 4), to: "c.txt", in: dir)
        let train = try ToolProcess.run(
            [
                "train", "--data", "c.txt", "--steps", "50", "--checkpoint", "m.safetensors",
                "--hidden-size", "24", "--num-layers", "2", "--lr", "0.01",
                "--seq-length", "8", "--batch-size", "4", "--threads", "1", "--quiet",
            ] + modelOptions, in: dir)
        #expect(train.status == 0, "\(train)")
        let sample = try ToolProcess.run(
            [
                "sample", "--checkpoint", "m.safetensors", "--prime", "the ", "--length", "30",
                "--temperature", "0", "--dump-logits", "l.jsonl", "--quiet",
            ], in: dir)
        #expect(sample.status == 0, "\(sample)")
        try write(sample.stdout, to: "s.txt", in: dir)

        let (status, text) = try TorchPython.run(
            "load_checkpoint_pytorch.py",
            [
                "m.safetensors", "--prime", "the ", "--logits", "l.jsonl", "--expect-file", "s.txt",
                "--export", "t.safetensors", "--carried-logits", "k.json",
            ], in: dir)
        #expect(status == 0, "\(text)")
        return (sample, text)
    }

    /// From the carried state, PyTorch's logits (`k.json`) equal the Swift model's, and
    /// charrnn samples PyTorch's export (`t.safetensors`) as it sampled its own checkpoint.
    static func expectCarriedLogitsAndExportMatch(sample: ToolProcess.Result, in dir: String) throws {
        // From the carried state, PyTorch's logits equal the Swift model's: the layout
        // [parts, L, B, H] is PyTorch's h_0 (and c_0).
        let checkpoint = try Checkpoint.read(path: dir + "/m.safetensors")
        let hidden = try #require(checkpoint.training?.hiddenState)
        let B = 4
        let prime = try checkpoint.vocabulary.encode("the ")
        let logits = checkpoint.model.forward(
            .tokens(prime.flatMap { [Int32](repeating: $0, count: B) }), batchSize: B, initialState: hidden)
        let json = try #require(
            try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir + "/k.json"))) as? [String: Any])
        let torchLogits = try #require(json["logits"] as? [[Double]])
        #expect(torchLogits.count == B)
        for b in 0..<min(B, torchLogits.count) {
            let swift = logits.row((prime.count - 1) * B + b)
            #expect(torchLogits[b].count == swift.count)
            #expect(zip(torchLogits[b], swift).allSatisfy { abs(Float($0) - $1) < 1e-4 }, "stream \(b)")
        }
        // The streams' states differ, so this checks more than one of them.
        #expect(torchLogits.first != torchLogits.last)

        // PyTorch's own safetensors file (its header layout and tensor order) reads back.
        let back = try ToolProcess.run(
            [
                "sample", "--checkpoint", "t.safetensors", "--prime", "the ", "--length", "30",
                "--temperature", "0", "--quiet",
            ], in: dir)
        #expect(back.status == 0, "\(back)")
        #expect(back.stdout == sample.stdout)
    }
}
