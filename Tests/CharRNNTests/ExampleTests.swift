import Foundation
import Linalg
import RNN
import RNNTraining
import Testing
import ToolTesting

/// `charrnn train` without `--data`: the built-in example, and the subcommands' help.
@Suite struct ExampleTests {
    @Test func trainsTheBuiltInExampleAndPrintsTheCompletions() throws {
        let r = try ToolProcess.run(["train"])
        #expect(r.status == 0, "\(r)")
        #expect(r.stdout == "good i am fine \nhey how are you\nhave a nice day\n", "\(r)")
        // The loss every 10 epochs, on stderr, and a pointer to --data.
        for epoch in stride(from: 10, through: 100, by: 10) {
            #expect(r.stderr.contains("epoch \(epoch < 100 ? " " : "")\(epoch)/100  loss "), "\(r)")
        }
        #expect(!r.stderr.contains("epoch   5/100"))
        #expect(r.stderr.contains("built-in example"))
        #expect(r.stderr.contains("charrnn train --data"))
    }

    /// `--precision bf16` trains the example in bf16 mixed precision to the same
    /// completions; without bf16 hardware it is refused, saying why.
    @Test func bf16TrainsTheExampleOrSaysWhyNot() throws {
        let r = try ToolProcess.run(["train", "--precision", "bf16"])
        guard BF16Support.current.isAvailable else {
            #expect(r.status != 0 && r.stderr.contains("--precision bf16: bf16 needs a CPU with AVX-512 BF16 or AMX"), "\(r)")
            return
        }
        #expect(r.status == 0, "\(r)")
        #expect(r.stdout == "good i am fine \nhey how are you\nhave a nice day\n", "\(r)")
    }

    /// `SWIFT_RNN_PRECISION` is the default of `--precision`: a value that names no
    /// precision (or bf16 on a CPU without it) is refused, saying what to do; `--precision`
    /// overrides it.
    @Test func theEnvironmentsPrecisionIsCheckedAndOverridden() throws {
        let bad = try ToolProcess.run(["train", "--epochs", "1"], environment: ["SWIFT_RNN_PRECISION": "fp16"])
        #expect(
            bad.status != 0
                && bad.stderr.contains("SWIFT_RNN_PRECISION must be fp32 or bf16 or unset, got 'fp16'; unset it or pass --precision"),
            "\(bad)")
        let overridden = try ToolProcess.run(
            ["train", "--epochs", "1", "--precision", "fp32"], environment: ["SWIFT_RNN_PRECISION": "fp16"])
        #expect(overridden.status == 0, "\(overridden)")
        let bf16 = try ToolProcess.run(["train", "--epochs", "1"], environment: ["SWIFT_RNN_PRECISION": "bf16"])
        if BF16Support.current.isAvailable {
            #expect(bf16.status == 0, "\(bf16)")
        } else {
            #expect(bf16.status != 0 && bf16.stderr.contains("SWIFT_RNN_PRECISION=bf16: bf16 needs a CPU with"), "\(bf16)")
        }
    }

    /// `--precision bf16` on a `--data` run says so in its header line.
    @Test(.enabled(if: BF16Support.current.isAvailable, "skipped: no avx512_bf16"))
    func bf16DataRunNamesItsPrecision() throws {
        try withTemporaryDirectory { dir in
            try String(repeating: "the cat sat on the mat. ", count: 100).write(toFile: dir + "/t.txt", atomically: true, encoding: .utf8)
            let r = try ToolProcess.run([
                "train", "--data", dir + "/t.txt", "--checkpoint", dir + "/m.safetensors", "--epochs", "1", "--hidden-size", "16",
                "--seq-length", "10", "--batch-size", "4", "--precision", "bf16",
            ])
            #expect(r.status == 0 && r.stderr.contains("GEMMs in bf16"), "\(r)")
        }
    }

    @Test func quietPrintsOnlyTheCompletions() throws {
        let r = try ToolProcess.run(["train", "--quiet"])
        #expect(r.status == 0, "\(r)")
        #expect(r.stderr.isEmpty, "\(r)")
        #expect(r.stdout.hasPrefix("good i am fine \n"))
    }

    @Test func savesACheckpointToSampleFromWithHistoryAndPlot() throws {
        try withTemporaryDirectory { dir in
            let r = try ToolProcess.run(
                ["train", "--checkpoint", "ex.safetensors", "--history", "h.csv", "--plot", "p.svg", "--seed", "3"], in: dir)
            #expect(r.status == 0, "\(r)")
            #expect(r.stderr.contains("charrnn sample --checkpoint ex.safetensors"))
            let checkpoint = try Checkpoint.read(path: dir + "/ex.safetensors")
            #expect(checkpoint.vocabulary == .characters(TutorialExample().vocabulary))
            #expect(checkpoint.model.rnn.hiddenSize == 12)
            #expect(checkpoint.metadata["seed"] == "3")

            let s = try ToolProcess.run(
                ["sample", "--checkpoint", "ex.safetensors", "--prime", "good", "--temperature", "0", "--length", "11", "--quiet"], in: dir)
            #expect(s.status == 0, "\(s)")
            #expect(s.stdout == "good i am fine \n")
            #expect(s.stderr.isEmpty)

            let csv = try String(contentsOfFile: dir + "/h.csv", encoding: .utf8).split(separator: "\n")
            #expect(csv.first == "step,epoch,train_loss,val_loss,tokens_per_second,learning_rate")
            #expect(csv.count == 101)
            let svg = try String(contentsOfFile: dir + "/p.svg", encoding: .utf8)
            #expect(svg.hasPrefix("<svg") && svg.contains("<polyline") && svg.hasSuffix("</svg>\n"))
        }
    }

    @Test func acceptsTheExampleHyperparameters() throws {
        let r = try ToolProcess.run(["train", "--epochs", "20", "--hidden-size", "8", "--lr", "0.02", "--seed", "1"])
        #expect(r.status == 0, "\(r)")
        #expect(r.stderr.contains("epoch 20/20"))
        #expect(r.stderr.contains("8 hidden units"))
        #expect(r.stdout.split(separator: "\n").count == 3)
    }

    /// The model and optimization options apply to the example as to a --data run: here an
    /// LSTM with Adam, clipping and a decaying learning rate, and samples during training.
    @Test func theExampleTakesTheModelAndOptimizerOptions() throws {
        let r = try ToolProcess.run([
            "train", "--cell", "lstm", "--hidden-size", "16", "--lr", "0.02", "--clip", "5",
            "--lr-decay", "0.999", "--epochs", "80", "--sample-every", "40", "--sample-length", "5",
        ])
        #expect(r.status == 0, "\(r)")
        #expect(r.stderr.contains("a 1-layer LSTM with 16 hidden units") && r.stderr.contains("clip 5"), "\(r)")
        #expect(r.stdout.components(separatedBy: "--- sample at step ").count == 3, "\(r)")
        #expect(r.stdout.hasSuffix("good i am fine \nhey how are you\nhave a nice day\n"), "\(r)")
        try withTemporaryDirectory { dir in
            let s = try ToolProcess.run(
                [
                    "train", "--optimizer", "sgd", "--lr", "0.5", "--steps", "30", "--quiet",
                    "--checkpoint", "ex.safetensors", "--save-every", "10",
                ], in: dir)
            #expect(s.status == 0, "\(s)")
            let checkpoint = try Checkpoint.read(path: dir + "/ex.safetensors")
            #expect(checkpoint.tensors.values.contains { $0.shape == [30] }, "30 steps of history")
        }
    }

    @Test(arguments: [["--help"], ["train", "--help"], ["sample", "--help"], ["eval", "--help"]])
    func helpReadsWell(arguments: [String]) throws {
        let r = try ToolProcess.run(arguments)
        #expect(r.status == 0, "\(r)")
        #expect(r.stdout.contains("USAGE: charrnn"))
        #expect(r.stdout.contains("OVERVIEW:"))
        // The text as one line (help wraps to the terminal's width).
        let flat = r.stdout.split(whereSeparator: \.isWhitespace).joined(separator: " ")
        if arguments == ["--help"] {
            #expect(flat.contains("RNNs, GRUs and LSTMs") && flat.contains("--cell rnn|gru|lstm"), "\(r)")
        }
        if arguments.first == "train" {
            #expect(
                flat.contains("--cell <cell> Recurrent cell: rnn (vanilla Elman RNN, PyTorch's nn.RNN), gru (nn.GRU) or lstm (nn.LSTM)"),
                "\(r)")
            #expect(flat.contains("(values: rnn, gru, lstm)"), "\(r)")
            for option in [
                "--data", "--cell", "--seq-length", "--batch-size", "--val-fraction", "--hidden-size", "--num-layers",
                "--nonlinearity", "--init", "--optimizer", "--lr", "--lr-decay", "--clip", "--epochs",
                "--steps", "--seed", "--checkpoint", "--save-every", "--resume", "--keep-best", "--quiet",
                "--history", "--plot", "--sample-every", "--threads",
            ] {
                #expect(r.stdout.contains(option), "\(option) missing from train --help")
            }
        }
    }
}
