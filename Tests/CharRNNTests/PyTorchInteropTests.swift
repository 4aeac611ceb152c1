import Foundation
import Testing

/// The Python with PyTorch and safetensors to check checkpoints with: `CHARRNN_TORCH_PYTHON`,
/// else `~/.venvs/torch/bin/python`; nil when it is missing or cannot import them.
private let torchPython: String? = {
    let path = ProcessInfo.processInfo.environment["CHARRNN_TORCH_PYTHON"]
        ?? FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".venvs/torch/bin/python").path
    guard FileManager.default.isExecutableFile(atPath: path) else { return nil }
    let probe = Process()
    probe.executableURL = URL(fileURLWithPath: path)
    probe.arguments = ["-c", "import torch, safetensors"]
    probe.standardOutput = FileHandle.nullDevice
    probe.standardError = FileHandle.nullDevice
    guard (try? probe.run()) != nil else { return nil }
    probe.waitUntilExit()
    return probe.terminationStatus == 0 ? path : nil
}()

private let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().appendingPathComponent("scripts/load_checkpoint_pytorch.py").path

/// Documents (and checks, where PyTorch is installed) how a checkpoint loads into
/// `torch.nn.RNN` + `torch.nn.Linear`:
///
/// 1. `charrnn train --data c.txt --checkpoint m.safetensors`
/// 2. `charrnn sample --checkpoint m.safetensors --prime "the " --length 30 --temperature 0 --dump-logits l.jsonl > s.txt`
/// 3. `python scripts/load_checkpoint_pytorch.py m.safetensors --prime "the " --logits l.jsonl --expect-file s.txt --export t.safetensors`
///    loads the tensors with `safetensors.torch.load_file` and `load_state_dict(strict=False)`,
///    runs the same greedy sample, compares the logits step by step (|difference| <= 1e-4)
///    and the text, and writes the model back with `safetensors.torch.save_file`;
/// 4. `charrnn sample --checkpoint t.safetensors ...` reads PyTorch's file and prints the same text.
@Suite struct PyTorchInteropTests {
    @Test(.enabled(if: torchPython != nil, "needs PyTorch and safetensors (~/.venvs/torch/bin/python or CHARRNN_TORCH_PYTHON)"))
    func checkpointLoadsIntoTorchAndBack() throws {
        try withTemporaryDirectory { dir in
            try write(generatedText(words: 300, seed: 4), to: "c.txt", in: dir)
            let train = try CharRNNProcess.run(["train", "--data", "c.txt", "--epochs", "2", "--checkpoint", "m.safetensors",
                                                "--hidden-size", "24", "--num-layers", "2", "--nonlinearity", "relu",
                                                "--seq-length", "8", "--batch-size", "4", "--threads", "1", "--quiet"], in: dir)
            #expect(train.status == 0, "\(train)")
            let sample = try CharRNNProcess.run(["sample", "--checkpoint", "m.safetensors", "--prime", "the ", "--length", "30",
                                                 "--temperature", "0", "--dump-logits", "l.jsonl", "--quiet"], in: dir)
            #expect(sample.status == 0, "\(sample)")
            try write(sample.stdout, to: "s.txt", in: dir)

            let python = Process()
            python.executableURL = URL(fileURLWithPath: torchPython!)
            python.arguments = [script, "m.safetensors", "--prime", "the ", "--logits", "l.jsonl", "--expect-file", "s.txt",
                                "--export", "t.safetensors"]
            python.currentDirectoryURL = URL(fileURLWithPath: dir)
            let output = Pipe()
            python.standardOutput = output
            python.standardError = output
            try python.run()
            let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            python.waitUntilExit()
            #expect(python.terminationStatus == 0, "\(text)")
            #expect(text.contains("nn.RNN(") && text.contains("nonlinearity='relu'"), "\(text)")
            #expect(text.contains("load_state_dict(strict=False): no missing keys"), "\(text)")
            #expect(text.contains("logits vs charrnn (l.jsonl): 30 steps"), "\(text)")
            #expect(text.contains("text vs charrnn: identical"), "\(text)")
            #expect(text.hasSuffix("OK\n"), "\(text)")

            // PyTorch's own safetensors file (its header layout and tensor order) reads back.
            let back = try CharRNNProcess.run(["sample", "--checkpoint", "t.safetensors", "--prime", "the ", "--length", "30",
                                               "--temperature", "0", "--quiet"], in: dir)
            #expect(back.status == 0, "\(back)")
            #expect(back.stdout == sample.stdout)
        }
    }
}
