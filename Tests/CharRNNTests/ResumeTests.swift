import Foundation
import RNN
import RNNTraining
import SafeTensors
import Testing
import ToolTesting

#if canImport(Glibc)
    import Glibc
#endif

/// Exact resume, Ctrl-C, and divergence, through the binary.
@Suite struct ResumeTests {
    /// Options of the resume runs: two layers, mid-epoch carried state, per-epoch learning
    /// rate decay, validation, and samples during training (which draw from the RNG).
    /// One thread, unless a test gives its own shape and `--threads`.
    static func options(hidden: Int = 16, streams: Int = 4, seqLength: Int = 8, threads: Int = 1) -> [String] {
        [
            "train", "--data", "c.txt", "--hidden-size", String(hidden), "--num-layers", "2", "--seq-length", String(seqLength),
            "--batch-size", String(streams), "--val-fraction", "0.1", "--lr", "0.01", "--lr-decay", "0.9", "--sample-every", "6",
            "--sample-length", "12", "--seed", "5", "--threads", String(threads), "--quiet",
        ]
    }

    /// The `--- sample at step N` blocks of a run's stdout.
    static func samples(_ stdout: String) -> [String] {
        stdout.components(separatedBy: "--- sample at step ").dropFirst().map { String($0.split(separator: "\n---\n").first ?? "") }
    }

    /// Every column of a history CSV but tokens_per_second (a timing).
    static func history(_ path: String) throws -> [[Substring]] {
        try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").map {
            let c = $0.split(separator: ",", omittingEmptySubsequences: false)
            return [c[0], c[1], c[2], c[3], c[5]]
        }
    }

    /// N steps, checkpoint, resume to N+M steps == N+M steps at once: weights, optimizer
    /// state, counters, RNG state, losses (train and validation) and samples, bit for bit.
    /// Mid-epoch (carried hidden state: for the LSTM both h and c) for every cell, and at
    /// an epoch boundary for the vanilla RNN (the default cell, so no --cell is given).
    @Test(arguments: [(RecurrentCell.rnn, false), (.rnn, true), (.gru, false), (.lstm, false)])
    func resumeIsExact(cell: RecurrentCell, atEpochBoundary: Bool) throws {
        try Self.checkResume(
            cell: cell, atEpochBoundary: atEpochBoundary, words: 160, hidden: 16, streams: 4, seqLength: 8,
            threads: 1)
    }

    /// The same with each batch split across 2 worker threads (H 64, 32 streams of 16
    /// steps: 16 streams and over 20 MFLOP per worker and step, so `charrnn train`
    /// splits), and the header saying so.
    @Test(arguments: [RecurrentCell.rnn, .lstm])
    func resumeIsExactWithTheBatchSplit(cell: RecurrentCell) throws {
        try Self.checkResume(cell: cell, atEpochBoundary: false, words: 700, hidden: 64, streams: 32, seqLength: 16, threads: 2)
        try withTemporaryDirectory { dir in
            try write(generatedText(words: 700, seed: 11), to: "c.txt", in: dir)
            let options = Self.options(hidden: 64, streams: 32, seqLength: 16, threads: 2).filter { $0 != "--quiet" }
            let run = try ToolProcess.run(options + ["--steps", "1", "--cell", cell.rawValue], in: dir)
            #expect(run.status == 0, "\(run)")
            #expect(run.stderr.contains("2 threads, each batch split across 2 workers"), "\(run.stderr)")
        }
    }

    /// Dropout (0.3 at all three sites) with a tied embedding, the batch split across 2
    /// workers: the masks follow the step and the whole batch's sequences, so the resumed
    /// run is still bit for bit the uninterrupted one.
    @Test func resumeIsExactWithDropoutAndATiedEmbedding() throws {
        try Self.checkResume(
            cell: .lstm, atEpochBoundary: false, words: 700, hidden: 64, streams: 32, seqLength: 16, threads: 2,
            modelOptions: ["--embedding-size", "64", "--tie-weights", "--dropout", "0.3"])
    }

    static func checkResume(
        cell: RecurrentCell, atEpochBoundary: Bool, words: Int, hidden: Int, streams: Int, seqLength: Int,
        threads: Int, modelOptions: [String] = []
    ) throws {
        try withTemporaryDirectory { dir in
            let text = generatedText(words: words, seed: 11)
            try write(text, to: "c.txt", in: dir)
            let n = text.unicodeScalars.count, held = Int(Double(n) * 0.1)
            let stepsPerEpoch = ((n - held - 1) / streams) / seqLength
            #expect(stepsPerEpoch >= 2, "the text is too short for \(streams) streams of \(seqLength) steps")
            let firstSteps = atEpochBoundary ? stepsPerEpoch : stepsPerEpoch / 2 + 1
            let total = String(2 * stepsPerEpoch + 5)
            let options =
                Self.options(hidden: hidden, streams: streams, seqLength: seqLength, threads: threads)
                + (cell == .rnn ? [] : ["--cell", cell.rawValue]) + modelOptions
            let full = try ToolProcess.run(
                options + ["--steps", total, "--checkpoint", "full.safetensors", "--history", "full.csv"], in: dir)
            #expect(full.status == 0, "\(full)")
            let first = try ToolProcess.run(
                options + ["--steps", String(firstSteps), "--checkpoint", "part.safetensors", "--history", "part.csv"], in: dir)
            #expect(first.status == 0, "\(first)")
            let partial = try Checkpoint.read(path: dir + "/part.safetensors")
            #expect(partial.model.rnn.cell == cell)
            #expect(partial.training?.step == firstSteps)
            #expect(partial.training?.hiddenState == nil && partial.training?.stepInEpoch == 0 || !atEpochBoundary)
            #expect(partial.training?.hiddenState?.count == cell.stateParts * 2 * streams * hidden || atEpochBoundary)  // [parts, L, B, H]
            // Resume: the data, model and layout come from the checkpoint, which is updated in place.
            let second = try ToolProcess.run(
                [
                    "train", "--resume", "part.safetensors", "--steps", total, "--history", "part.csv",
                    "--sample-every", "6", "--sample-length", "12", "--threads", String(threads), "--quiet",
                ], in: dir)
            #expect(second.status == 0, "\(second)")

            let a = try SafeTensorsFile.read(path: dir + "/full.safetensors")
            let b = try SafeTensorsFile.read(path: dir + "/part.safetensors")
            for key in Set(a.metadata.keys).union(b.metadata.keys).sorted() {
                #expect(a.metadata[key] == b.metadata[key], "metadata '\(key)'")
            }
            #expect(Set(a.tensors.keys) == Set(b.tensors.keys))
            for name in a.tensors.keys.sorted() where name != "history.tokens_per_second" {
                let x = a.tensors[name]!, y = b.tensors[name]!
                #expect(x.shape == y.shape, "\(name)")
                #expect(x.values.map(\.bitPattern) == y.values.map(\.bitPattern), "\(name) differs after resume")
            }
            #expect(try Self.history(dir + "/full.csv") == Self.history(dir + "/part.csv"))
            #expect(Self.samples(full.stdout) == Self.samples(first.stdout) + Self.samples(second.stdout))
            #expect(Self.samples(full.stdout).count == (2 * stepsPerEpoch + 5) / 6)
        }
    }

    @Test func resumingAFinishedRunSaysHowToContinue() throws {
        try withTemporaryDirectory { dir in
            try write(generatedText(words: 120), to: "c.txt", in: dir)
            let r = try ToolProcess.run(
                ["train", "--data", "c.txt", "--epochs", "1", "--checkpoint", "m.safetensors", "--quiet"] + tinyModel, in: dir)
            #expect(r.status == 0, "\(r)")
            let again = try ToolProcess.run(["train", "--resume", "m.safetensors"], in: dir)
            #expect(again.status == 1 && again.stderr.hasPrefix("error: the checkpoint has already trained 1 epoch"), "\(again)")
            #expect(again.stderr.contains("pass a larger --epochs"))
            // --epochs is a total: one more epoch.
            let more = try ToolProcess.run(["train", "--resume", "m.safetensors", "--epochs", "2", "--quiet"], in: dir)
            #expect(more.status == 0, "\(more)")
            #expect(try Checkpoint.read(path: dir + "/m.safetensors").training?.epoch == 2)
            // Changing the optimizer of a resumed run is refused.
            let switched = try ToolProcess.run(["train", "--resume", "m.safetensors", "--epochs", "3", "--optimizer", "sgd"], in: dir)
            #expect(
                switched.status == 1 && switched.stderr.contains("--optimizer sgd differs from the resumed checkpoint's adam"),
                "\(switched)")
        }
    }

    /// Runs charrnn with `arguments`, waits for its first progress line, presses Ctrl-C and
    /// returns how it ended.
    static func interrupted(_ arguments: [String], in dir: String) throws -> ToolProcess.Result {
        try ToolProcess.signaledAfterFirstStep(arguments, SIGINT, in: dir)
    }

    /// Ctrl-C finishes the step, saves the checkpoint, says how to resume, exits 130.
    @Test func interruptSavesTheCheckpointAndExits() throws {
        try withTemporaryDirectory { dir in
            try write(generatedText(words: 300), to: "c.txt", in: dir)
            let r = try Self.interrupted(
                ["train", "--data", "c.txt", "--steps", "100000000", "--checkpoint", "m.safetensors"] + tinyModel, in: dir)
            #expect(r.status == 130 && !r.signaled, "\(r)")
            #expect(r.stderr.contains("Ctrl-C: finishing the current step and saving"), "\(r)")
            #expect(r.stderr.contains("Continue with: charrnn train --resume m.safetensors"), "\(r)")
            let checkpoint = try Checkpoint.read(path: dir + "/m.safetensors")
            let step = try #require(checkpoint.training?.step)
            #expect(step >= 1)
            #expect(r.stderr.contains("interrupted at step \(grouped(step))"), "\(r)")
            // And it resumes.
            let resumed = try ToolProcess.run(["train", "--resume", "m.safetensors", "--steps", String(step + 3), "--quiet"], in: dir)
            #expect(resumed.status == 0, "\(resumed)")
            #expect(try Checkpoint.read(path: dir + "/m.safetensors").training?.step == step + 3)
        }
    }

    /// With one chunk per epoch every step ends an epoch: a Ctrl-C then saves after the
    /// epoch's end, at the start of the next epoch (not at "chunk 1 of 1" of the finished
    /// one, which a resume would train again).
    @Test func interruptAtAnEpochsLastStepSavesTheNextEpochsStart() throws {
        try withTemporaryDirectory { dir in
            // 16 streams × 1 chunk of 2048 steps: a step (~10⁹ FLOPs) takes far longer than the
            // epoch's save, so the Ctrl-C lands in a step.
            try write(String(generatedText(words: 8000).prefix(16 * 2048 + 1)), to: "c.txt", in: dir)
            let r = try Self.interrupted(
                [
                    "train", "--data", "c.txt", "--epochs", "1000000", "--batch-size", "16", "--seq-length", "2048",
                    "--val-fraction", "0", "--hidden-size", "64", "--num-layers", "1",
                    "--checkpoint", "m.safetensors", "--threads", "1",
                ], in: dir)
            #expect(r.status == 130 && !r.signaled, "\(r)")
            let training = try #require(try Checkpoint.read(path: dir + "/m.safetensors").training)
            #expect(training.step >= 1 && training.epoch == training.step && training.stepInEpoch == 0, "\(training)")
            #expect(training.hiddenState?.count == nil)
        }
    }

    /// A loss that becomes NaN stops training with an error and leaves the last good
    /// checkpoint byte for byte as it was.
    @Test func divergenceStopsAndKeepsTheLastGoodCheckpoint() throws {
        try withTemporaryDirectory { dir in
            try write(generatedText(words: 200), to: "c.txt", in: dir)
            let good = try ToolProcess.run(
                ["train", "--data", "c.txt", "--epochs", "1", "--checkpoint", "m.safetensors", "--quiet"] + tinyModel, in: dir)
            #expect(good.status == 0, "\(good)")
            let before = try bytes(dir + "/m.safetensors")
            let r = try ToolProcess.run(
                ["train", "--resume", "m.safetensors", "--epochs", "5", "--lr", "1e38", "--history", "h.csv"], in: dir)
            #expect(r.status == 1 && !r.signaled, "\(r)")
            let errorLines = r.stderr.split(separator: "\n").filter { $0.hasPrefix("error: ") }
            #expect(errorLines.count == 1)
            #expect(errorLines.first?.contains("became NaN") == true || errorLines.first?.contains("became infinite") == true, "\(r)")
            #expect(r.stderr.contains("the checkpoint 'm.safetensors' you resumed from is unchanged"), "\(r)")
            #expect(r.stderr.contains("Try a smaller --lr"))
            #expect(try bytes(dir + "/m.safetensors") == before)
            #expect(FileManager.default.fileExists(atPath: dir + "/h.csv"))  // the history up to the failure

            // A fresh run that diverges before its first save says so.
            let fresh = try ToolProcess.run(
                ["train", "--data", "c.txt", "--lr", "1e38", "--checkpoint", "n.safetensors", "--quiet"] + tinyModel, in: dir)
            #expect(fresh.status == 1 && fresh.stderr.contains("no checkpoint was saved"), "\(fresh)")
            #expect(!FileManager.default.fileExists(atPath: dir + "/n.safetensors"))
        }
    }

    /// Resuming on a different text of the same characters: a warning, then the epoch restarts.
    @Test func resumingOnAnotherTextWarns() throws {
        try withTemporaryDirectory { dir in
            try write(generatedText(words: 200, seed: 1), to: "a.txt", in: dir)
            try write(generatedText(words: 200, seed: 2), to: "b.txt", in: dir)
            let r = try ToolProcess.run(
                ["train", "--data", "a.txt", "--steps", "5", "--checkpoint", "m.safetensors", "--quiet"] + tinyModel, in: dir)
            #expect(r.status == 0, "\(r)")
            let vocabularyA = try #require(try Checkpoint.read(path: dir + "/m.safetensors").vocabulary.characterVocabulary)
            guard
                Vocabulary(text: try String(contentsOfFile: dir + "/b.txt", encoding: .utf8)).characters.allSatisfy({
                    vocabularyA.token(for: $0) != nil
                })
            else { return }
            let s = try ToolProcess.run(["train", "--resume", "m.safetensors", "--data", "b.txt", "--steps", "8", "--quiet"], in: dir)
            #expect(s.status == 0, "\(s)")
            #expect(s.stderr.contains("warning: 'b.txt' is not the text the checkpoint was trained on"), "\(s)")
        }
    }
}
