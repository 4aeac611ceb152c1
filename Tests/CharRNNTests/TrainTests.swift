import Foundation
import Linalg
import RNN
import RNNTraining
import Testing
import ToolTesting

/// `charrnn train --data`: checkpoints, progress, history, plot, options.
@Suite struct TrainTests {
    @Test func trainsOnAFileAndSavesEverythingAResumeNeeds() throws {
        try withTemporaryDirectory { dir in
            let text = generatedText(words: 300)
            try write(text, to: "corpus.txt", in: dir)
            let r = try ToolProcess.run(
                [
                    "train", "--data", "corpus.txt", "--epochs", "2", "--val-fraction", "0.1",
                    "--history", "h.csv", "--plot", "p.svg",
                ] + tinyModel, in: dir)
            #expect(r.status == 0, "\(r)")

            // Default checkpoint: the data file's name with .safetensors, in the current directory.
            let checkpoint = try Checkpoint.read(path: dir + "/corpus.safetensors")
            let characters = try #require(checkpoint.vocabulary.characterVocabulary)
            #expect(characters == Vocabulary(text: text))
            #expect(characters.characters == characters.characters.sorted { $0.value < $1.value })
            let n = text.unicodeScalars.count, held = Int(Double(n) * 0.1)
            let stepsPerEpoch = ((n - held - 1) / 4) / 8
            let training = try #require(checkpoint.training)
            #expect(training.epoch == 2 && training.stepInEpoch == 0 && training.step == 2 * stepsPerEpoch)
            #expect(training.hiddenState == nil)
            #expect(checkpoint.optimizer?.name == "adam" && checkpoint.optimizer?.stepCount == training.step)
            #expect(checkpoint.optimizer?.buffers.keys.sorted() == ["exp_avg", "exp_avg_sq"])
            #expect(checkpoint.metadata["seq_length"] == "8" && checkpoint.metadata["batch_size"] == "4")
            #expect(checkpoint.model.rnn.hiddenSize == 16 && checkpoint.model.rnn.numLayers == 1)

            // Progress on a pipe: plain lines, no carriage returns; results on stdout.
            #expect(!r.stderr.contains("\r"))
            #expect(r.stderr.contains("epoch 1/2  step 1/\(2 * stepsPerEpoch)  loss "))
            #expect(r.stderr.contains("tok/s"))
            #expect(r.stderr.contains("epoch 2/2 done in"))
            #expect(r.stderr.contains("val loss"))
            #expect(r.stdout.hasPrefix("Trained \(2 * stepsPerEpoch) steps"), "\(r)")
            #expect(r.stdout.contains("bits/char"))

            // History: one row per step, the validation loss on each epoch's last step.
            let rows = try String(contentsOfFile: dir + "/h.csv", encoding: .utf8).split(separator: "\n").map {
                $0.split(separator: ",", omittingEmptySubsequences: false)
            }
            #expect(rows[0] == ["step", "epoch", "train_loss", "val_loss", "tokens_per_second", "learning_rate"])
            #expect(rows.count == 1 + 2 * stepsPerEpoch)
            #expect(rows[1][0] == "1" && rows[1][1] == "1" && rows[1][3] == "")
            #expect(!rows[stepsPerEpoch][3].isEmpty && rows[stepsPerEpoch][1] == "1")
            #expect(rows[stepsPerEpoch + 1][1] == "2")
            let firstLoss = Double(rows[1][2])!, lastLoss = Double(rows.last![2])!
            #expect(firstLoss > lastLoss, "the loss should fall: \(firstLoss) -> \(lastLoss)")
            #expect(abs(firstLoss - log(Double(checkpoint.vocabulary.count))) < 0.5)

            let svg = try String(contentsOfFile: dir + "/p.svg", encoding: .utf8)
            for part in ["<svg", "</svg>", "<polyline", "step", "cross-entropy", "validation loss", "train loss", "<circle"] {
                #expect(svg.contains(part), "plot lacks \(part)")
            }
        }
    }

    @Test func quietPrintsOnlyTheResult() throws {
        try withTemporaryDirectory { dir in
            try write(generatedText(words: 200), to: "c.txt", in: dir)
            let r = try ToolProcess.run(["train", "--data", "c.txt", "--steps", "5", "--quiet"] + tinyModel, in: dir)
            #expect(r.status == 0, "\(r)")
            #expect(r.stderr.isEmpty, "\(r)")
            #expect(r.stdout.split(separator: "\n").count == 1)
            #expect(r.stdout.hasPrefix("Trained 5 steps"))
        }
    }

    @Test func samplesDuringTrainingKeepsTheBestAndDecaysTheLearningRate() throws {
        try withTemporaryDirectory { dir in
            try write(generatedText(words: 300), to: "c.txt", in: dir)
            let r = try ToolProcess.run(
                [
                    "train", "--data", "c.txt", "--epochs", "3", "--sample-every", "10", "--sample-length", "30",
                    "--keep-best", "--checkpoint", "m.safetensors", "--lr-decay", "0.5", "--lr", "0.01",
                    "--history", "h.csv", "--optimizer", "rmsprop", "--clip", "0", "--init", "orthogonal",
                ] + tinyModel, in: dir)
            #expect(r.status == 0, "\(r)")
            #expect(r.stdout.contains("--- sample at step 10 (epoch 1) ---\n"))
            #expect(r.stdout.contains("--- sample at step 20 "))
            #expect(FileManager.default.fileExists(atPath: dir + "/m.best.safetensors"))
            #expect(r.stderr.contains("new best, saved m.best.safetensors"))
            let best = try Checkpoint.read(path: dir + "/m.best.safetensors")
            #expect(best.optimizer?.name == "rmsprop")
            #expect(best.initialization == .orthogonal)
            let rows = try String(contentsOfFile: dir + "/h.csv", encoding: .utf8).split(separator: "\n").dropFirst()
            let rates = Set(rows.map { $0.split(separator: ",", omittingEmptySubsequences: false)[5] })
            #expect(rates == ["0.01", "0.005", "0.0025"])
        }
    }

    /// `--optimizer adamw` (decoupled weight decay 0.01): N steps, then a resume to 2N,
    /// equal bit for bit to 2N steps at once, and the checkpoint names the optimizer.
    @Test func adamWTrainsAndResumesExactly() throws {
        try withTemporaryDirectory { dir in
            try write(generatedText(words: 300, seed: 12), to: "c.txt", in: dir)
            let base =
                ["train", "--data", "c.txt", "--optimizer", "adamw", "--weight-decay", "0.5", "--val-fraction", "0", "--quiet"] + tinyModel
            let whole = try ToolProcess.run(base + ["--steps", "6", "--checkpoint", "a.safetensors"], in: dir)
            let half = try ToolProcess.run(base + ["--steps", "3", "--checkpoint", "b.safetensors"], in: dir)
            let rest = try ToolProcess.run(["train", "--resume", "b.safetensors", "--steps", "6", "--quiet"], in: dir)
            #expect(whole.status == 0 && half.status == 0 && rest.status == 0, "\(whole)\n\(half)\n\(rest)")
            let a = try Checkpoint.read(path: dir + "/a.safetensors"), b = try Checkpoint.read(path: dir + "/b.safetensors")
            #expect(a.optimizer?.name == "adamw" && a.optimizer?.stepCount == 6 && a.metadata["weight_decay"] == "0.5")
            #expect(a.model.parameters.values.map(\.bitPattern) == b.model.parameters.values.map(\.bitPattern))
            // The decay matters: the default 0.01 gives other weights.
            let other = try ToolProcess.run(
                [
                    "train", "--data", "c.txt", "--optimizer", "adamw", "--val-fraction", "0", "--quiet",
                    "--steps", "6", "--checkpoint", "c.safetensors",
                ] + tinyModel, in: dir)
            #expect(other.status == 0, "\(other)")
            let c = try Checkpoint.read(path: dir + "/c.safetensors")
            #expect(c.metadata["weight_decay"] == "0.01" && c.model.parameters.values != a.model.parameters.values)
        }
    }

    /// `--early-stop 2` with weights that cannot move (SGD at lr 1e-30): every validation
    /// loss equals the first, so training stops after epoch 3 of 10; a resume keeps the count.
    @Test func earlyStopEndsTrainingWhenValidationStopsImproving() throws {
        try withTemporaryDirectory { dir in
            try write(generatedText(words: 300, seed: 13), to: "c.txt", in: dir)
            let r = try ToolProcess.run(
                [
                    "train", "--data", "c.txt", "--optimizer", "sgd", "--lr", "1e-30", "--epochs", "10",
                    "--early-stop", "2", "--val-fraction", "0.2", "--checkpoint", "m.safetensors",
                ] + tinyModel, in: dir)
            #expect(r.status == 0, "\(r)")
            #expect(r.stderr.contains("stopping early: the validation loss has not improved for 2 epochs (--early-stop 2)"), "\(r)")
            let checkpoint = try Checkpoint.read(path: dir + "/m.safetensors")
            #expect(checkpoint.training?.epoch == 3 && checkpoint.metadata["epochs_without_improvement"] == "2")
            let resumed = try ToolProcess.run(["train", "--resume", "m.safetensors", "--early-stop", "3", "--quiet"], in: dir)
            #expect(resumed.status == 0, "\(resumed)")
            #expect(try Checkpoint.read(path: dir + "/m.safetensors").training?.epoch == 4)
        }
    }

    /// The learning rate of each epoch in a history CSV (its first row of each epoch).
    static func epochRates(_ path: String) throws -> [String] {
        var seen: Set<String> = [], rates: [String] = []
        for line in try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").dropFirst() {
            let c = line.split(separator: ",", omittingEmptySubsequences: false)
            if seen.insert(String(c[1])).inserted { rates.append(String(c[5])) }
        }
        return rates
    }

    /// `--lr-schedule step --lr-decay-every 2` halves the rate every second epoch; `plateau`
    /// with frozen weights (SGD at 1e-30: every validation loss equals the first) halves it
    /// after every epoch but the first, and a resume continues the plateau state exactly.
    @Test func schedulesSetEachEpochsRateAndResume() throws {
        try withTemporaryDirectory { dir in
            try write(generatedText(words: 300, seed: 14), to: "c.txt", in: dir)
            let step = try ToolProcess.run(
                [
                    "train", "--data", "c.txt", "--epochs", "4", "--lr", "0.004", "--lr-schedule", "step",
                    "--lr-decay", "0.5", "--lr-decay-every", "2", "--val-fraction", "0", "--history", "s.csv",
                    "--checkpoint", "s.safetensors", "--quiet",
                ] + tinyModel, in: dir)
            #expect(step.status == 0, "\(step)")
            #expect(try Self.epochRates(dir + "/s.csv") == ["0.004", "0.004", "0.002", "0.002"])

            let plateau =
                [
                    "train", "--data", "c.txt", "--optimizer", "sgd", "--lr", "1e-30", "--lr-schedule", "plateau",
                    "--plateau-patience", "0", "--plateau-factor", "0.5", "--val-fraction", "0.2", "--quiet",
                ] + tinyModel
            let whole = try ToolProcess.run(plateau + ["--epochs", "4", "--history", "p.csv", "--checkpoint", "p.safetensors"], in: dir)
            let half = try ToolProcess.run(plateau + ["--epochs", "2", "--checkpoint", "q.safetensors"], in: dir)
            let rest = try ToolProcess.run(
                ["train", "--resume", "q.safetensors", "--epochs", "4", "--history", "q.csv", "--quiet"], in: dir)
            #expect(whole.status == 0 && half.status == 0 && rest.status == 0, "\(whole)\n\(half)\n\(rest)")
            #expect(try Self.epochRates(dir + "/p.csv") == ["1e-30", "1e-30", "5e-31", "2.5e-31"])
            #expect(try Self.epochRates(dir + "/q.csv") == Self.epochRates(dir + "/p.csv"))
        }
    }

    @Test func reluIdentityTwoLayersAndSGD() throws {
        try withTemporaryDirectory { dir in
            try write(generatedText(words: 200), to: "c.txt", in: dir)
            let r = try ToolProcess.run(
                [
                    "train", "--data", "c.txt", "--steps", "12", "--nonlinearity", "relu", "--init", "identity",
                    "--num-layers", "2", "--hidden-size", "12", "--optimizer", "sgd", "--lr", "0.1",
                    "--seq-length", "6", "--batch-size", "3", "--threads", "1", "--save-every", "5",
                ], in: dir)
            #expect(r.status == 0, "\(r)")
            let checkpoint = try Checkpoint.read(path: dir + "/c.safetensors")
            #expect(checkpoint.model.rnn.vanillaNonlinearity == .relu && checkpoint.model.rnn.numLayers == 2)
            #expect(checkpoint.optimizer?.name == "sgd" && checkpoint.training?.step == 12)
            #expect(checkpoint.training?.hiddenState?.count == 2 * 3 * 12)
            #expect(r.stderr.contains("1 GEMM thread"))
        }
    }

    /// While a run trains into a checkpoint, a second run into the same path stops at once
    /// naming the first; the lock goes with the first run (Ctrl-C: saved, exit 130).
    @Test func secondRunIntoTheSameCheckpointIsRefused() throws {
        try withTemporaryDirectory { dir in
            try write(generatedText(words: 400), to: "c.txt", in: dir)
            let options = ["--hidden-size", "32", "--seq-length", "8", "--batch-size", "4", "--threads", "1", "--val-fraction", "0"]
            let (first, out, err) = try ToolProcess.start(["train", "--data", "c.txt", "--epochs", "100000"] + options, in: dir)
            let lock = dir + "/.c.safetensors.lock"
            let deadline = Date().addingTimeInterval(30)
            while !FileManager.default.fileExists(atPath: lock) && first.isRunning && Date() < deadline { usleep(10_000) }
            let second = try ToolProcess.run(["train", "--data", "c.txt", "--steps", "2"] + options, in: dir)
            #expect(second.status == 1, "\(second)")
            #expect(
                second.stderr.contains(
                    "another charrnn run (pid \(first.processIdentifier)) is training into --checkpoint 'c.safetensors'"),
                "\(second.stderr)")
            kill(first.processIdentifier, SIGINT)
            let r = ToolProcess.finish(first, out, err, timeout: 60)
            #expect(r.status == 130, "\(r)")
            #expect(!FileManager.default.fileExists(atPath: lock), "the lock file is removed when the run ends")
            #expect(try Checkpoint.read(path: dir + "/c.safetensors").training != nil, "the interrupted run saved")
        }
    }

    /// More threads than processors only oversubscribe the cores: capped, with a warning.
    @Test func threadsAboveTheProcessorCountAreCapped() throws {
        try withTemporaryDirectory { dir in
            try write(generatedText(words: 200), to: "c.txt", in: dir)
            let processors = ComputeThreads.processorCount
            let r = try ToolProcess.run(
                [
                    "train", "--data", "c.txt", "--steps", "2", "--hidden-size", "8", "--seq-length", "8", "--batch-size", "4", "--threads",
                    "1000",
                ], in: dir)
            #expect(r.status == 0, "\(r)")
            #expect(
                r.stderr.contains("warning: --threads 1000 is more than the \(processors) processors here; using \(processors)"),
                "\(r.stderr)")
        }
    }

    @Test func validationCanBeTurnedOff() throws {
        try withTemporaryDirectory { dir in
            try write(generatedText(words: 150), to: "c.txt", in: dir)
            let r = try ToolProcess.run(["train", "--data", "c.txt", "--epochs", "1", "--val-fraction", "0"] + tinyModel, in: dir)
            #expect(r.status == 0, "\(r)")
            #expect(r.stderr.contains("no validation"))
            #expect(!r.stdout.contains("val loss"))
        }
    }
}
