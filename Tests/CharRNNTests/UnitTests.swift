import Foundation
import RNN
import RNNTraining
import SafeTensors
import Testing
import ToolTesting

/// `--unit byte` and `--unit word` end to end: train, sample, eval, resume, and their errors.
@Suite struct UnitTests {
    static let sentences = [
        "the cat sat on the mat.", "a dog ran to the red door.", "she said hello to the world.",
        "the quick brown fox ran by the river.",
    ]
    static let model = [
        "--cell", "lstm", "--hidden-size", "32", "--embedding-size", "32", "--seq-length", "8",
        "--batch-size", "4", "--lr", "0.01", "--threads", "1", "--val-fraction", "0.1",
    ]

    /// A word model learns four sentences: its greedy samples are those sentences, words
    /// joined with spaces and lines ended by <eos>; eval reads words the same way.
    @Test func aWordModelTrainsSamplesAndEvaluates() throws {
        try withTemporaryDirectory { dir in
            try write((0..<240).map { Self.sentences[$0 % 4] }.joined(separator: "\n") + "\n", to: "w.txt", in: dir)
            let train = try ToolProcess.run(
                [
                    "train", "--data", "w.txt", "--unit", "word", "--steps", "150",
                    "--checkpoint", "w.safetensors",
                ] + Self.model, in: dir)
            #expect(train.status == 0, "\(train)")
            #expect(train.stderr.contains("2,100 words, a vocabulary of 23 with <unk> and <eos> (--unit word)"), "\(train.stderr)")
            #expect(train.stdout.contains("bits/word"), "\(train.stdout)")
            let checkpoint = try Checkpoint.read(path: dir + "/w.safetensors")
            guard case .words(let words) = checkpoint.vocabulary else { Issue.record("not a word vocabulary"); return }
            #expect(words.words.prefix(3) == ["<unk>", "<eos>", "the"])
            #expect(try SafeTensorsFile.read(path: dir + "/w.safetensors").metadata["unit"] == "word")

            let primed = try ToolProcess.run(
                [
                    "sample", "--checkpoint", "w.safetensors", "--prime", "the quick", "--length", "7",
                    "--temperature", "0", "--quiet",
                ], in: dir)
            #expect(primed.status == 0 && primed.stdout == "the quick brown fox ran by the river.\n", "\(primed)")
            let spaced = try ToolProcess.run(
                [
                    "sample", "--checkpoint", "w.safetensors", "--prime", "the quick ", "--length", "2",
                    "--temperature", "0", "--quiet",
                ], in: dir)
            #expect(spaced.stdout == "the quick brown fox\n", "\(spaced)")  // one space after the prime's own
            let free = try ToolProcess.run(
                [
                    "sample", "--checkpoint", "w.safetensors", "--length", "24", "--temperature", "0",
                    "--quiet",
                ], in: dir)
            let lines = free.stdout.split(separator: "\n").map(String.init)
            #expect(lines.count >= 3 && lines.dropLast().allSatisfy { Self.sentences.contains($0) }, "\(free.stdout)")
            // An unknown word is <unk>, with a warning.
            let unknown = try ToolProcess.run(
                ["sample", "--checkpoint", "w.safetensors", "--prime", "the zebra", "--length", "3"], in: dir)
            #expect(
                unknown.status == 0
                    && unknown.stderr.contains(
                        "1 word of --prime is not in the checkpoint's vocabulary of 23 words and read as <unk>: 'zebra'"),
                "\(unknown)")

            let eval = try ToolProcess.run(["eval", "--checkpoint", "w.safetensors", "--data", "w.txt"], in: dir)
            #expect(
                eval.status == 0 && eval.stdout.contains("w.txt: 2,100 words, 2,099 predicted") && eval.stdout.contains("nats/word"),
                "\(eval)")
            let loss = try #require(
                eval.stdout.split(separator: "\n").first { $0.hasPrefix("cross-entropy") }
                    .flatMap { Double($0.split(separator: " ").dropFirst().first ?? "") })
            #expect(loss < 0.2, "\(eval.stdout)")

            // The gradient flow runs through the embedding (the model's own forward).
            let diagnose = try ToolProcess.run(
                [
                    "diagnose", "--checkpoint", "w.safetensors", "--data", "w.txt", "--horizon", "6",
                    "--seq-length", "12", "--batch-size", "2",
                ], in: dir)
            #expect(diagnose.status == 0, "\(diagnose)")

            // A resume keeps the unit and the vocabulary; asking for another is refused.
            let more = try ToolProcess.run(["train", "--resume", "w.safetensors", "--steps", "160", "--quiet"], in: dir)
            #expect(more.status == 0, "\(more)")
            #expect(try Checkpoint.read(path: dir + "/w.safetensors").vocabulary == checkpoint.vocabulary)
            let switched = try ToolProcess.run(["train", "--resume", "w.safetensors", "--steps", "170", "--unit", "char"], in: dir)
            #expect(
                switched.status == 1 && switched.stderr.contains("--unit char differs from the resumed checkpoint's word"), "\(switched)")
        }
    }

    /// `--vocab-limit` keeps the most frequent words; the rest of the text trains as <unk>.
    @Test func theVocabularyLimit() throws {
        try withTemporaryDirectory { dir in
            try write(generatedText(words: 600), to: "c.txt", in: dir)
            let r = try ToolProcess.run(
                [
                    "train", "--data", "c.txt", "--unit", "word", "--vocab-limit", "10", "--steps", "3",
                    "--checkpoint", "m.safetensors", "--quiet",
                ] + tinyModel, in: dir)
            #expect(r.status == 0, "\(r)")
            guard case .words(let words) = try Checkpoint.read(path: dir + "/m.safetensors").vocabulary else {
                Issue.record("not a word vocabulary"); return
            }
            #expect(words.count == 12 && words.words[2] == ".")  // "." ends every 9th word: the most frequent
        }
    }

    /// A byte model reads any file (here not UTF-8), samples raw bytes and evaluates bits/byte.
    @Test func aByteModelReadsAnyFile() throws {
        try withTemporaryDirectory { dir in
            var bytes: [UInt8] = []
            for i in 0..<4000 { bytes.append(i % 5 == 4 ? 0xFF : UInt8(0xC0 + i % 5)) }  // a cycle of 5 bytes, none valid UTF-8
            FileManager.default.createFile(atPath: dir + "/b.bin", contents: Data(bytes))
            let char = try ToolProcess.run(["train", "--data", "b.bin", "--steps", "1", "--quiet"] + tinyModel, in: dir)
            #expect(char.status == 1 && char.stderr.contains("is not UTF-8 text") && char.stderr.contains("--unit byte"), "\(char)")
            let train = try ToolProcess.run(
                [
                    "train", "--data", "b.bin", "--unit", "byte", "--steps", "120", "--lr", "0.01",
                    "--checkpoint", "b.safetensors",
                ] + tinyModel, in: dir)
            #expect(train.status == 0 && train.stderr.contains("4,000 bytes, 256 symbols (--unit byte)"), "\(train)")
            #expect(try Checkpoint.read(path: dir + "/b.safetensors").vocabulary == .bytes)
            // Raw bytes on stdout (read from the file it went to, not as text).
            let (process, stdout, stderr) = try ToolProcess.start(
                [
                    "sample", "--checkpoint", "b.safetensors", "--length", "20",
                    "--temperature", "0", "--quiet",
                ], in: dir)
            process.waitUntilExit()
            let generated = Array(try Data(contentsOf: stdout).dropLast())  // the final newline
            #expect(ToolProcess.finish(process, stdout, stderr).status == 0)
            #expect(generated.count == 20)
            // The cycle is learned: every generated byte is one of the five, each followed by its successor.
            let cycle: [UInt8] = [0xC0, 0xC1, 0xC2, 0xC3, 0xFF]
            #expect(
                zip(generated, generated.dropFirst()).allSatisfy { a, b in
                    cycle.firstIndex(of: a).map { cycle[($0 + 1) % 5] == b } ?? false
                }, "\(generated)")
            let eval = try ToolProcess.run(["eval", "--checkpoint", "b.safetensors", "--data", "b.bin"], in: dir)
            #expect(eval.status == 0 && eval.stdout.contains("b.bin: 4,000 bytes") && eval.stdout.contains("bits per byte"), "\(eval)")
        }
    }

    /// Each model option's bad value is one `error:` line naming what to do.
    @Test func embeddingAndDropoutErrors() throws {
        try withTemporaryDirectory { dir in
            try write(generatedText(words: 300), to: "c.txt", in: dir)
            let cases: [([String], String)] = [
                (["--tie-weights"], "error: --tie-weights needs an embedding: give --embedding-size equal to --hidden-size (256)\n"),
                (
                    ["--tie-weights", "--embedding-size", "16", "--hidden-size", "32"],
                    "error: --tie-weights needs --embedding-size equal to --hidden-size, got 16 and 32: the output layer's weight [V, 32] is the embedding [V, 16]\n"
                ),
                (
                    ["--dropout", "1"],
                    "error: --dropout must be a finite number >= 0 and <= 0.99 (the probability of dropping each activation in training) (got 1)\n"
                ),
                (
                    ["--dropout", "-0.1"],
                    "error: --dropout must be a finite number >= 0 and <= 0.99 (the probability of dropping each activation in training) (got -0.1)\n"
                ),
                (["--embedding-size", "-3"], "error: --embedding-size must be between 0 and 16384 (got -3)\n"),
            ]
            for (options, message) in cases {
                let r = try ToolProcess.run(["train", "--data", "c.txt", "--steps", "1"] + options, in: dir)
                #expect(r.status == 1 && r.stderr == message, "\(options): \(r)")
            }
            // The built-in example takes them too, with the same check.
            let example = try ToolProcess.run(["train", "--tie-weights", "--embedding-size", "8"], in: dir)
            #expect(
                example.status == 1 && example.stderr.contains("--tie-weights needs --embedding-size equal to --hidden-size, got 8 and 12"),
                "\(example)")
            // A resumed run keeps its dropout.
            let first = try ToolProcess.run(
                ["train", "--data", "c.txt", "--steps", "2", "--dropout", "0.2", "--checkpoint", "m.safetensors", "--quiet"] + tinyModel,
                in: dir)
            #expect(first.status == 0, "\(first)")
            let changed = try ToolProcess.run(["train", "--resume", "m.safetensors", "--steps", "4", "--dropout", "0.5"], in: dir)
            #expect(changed.status == 1 && changed.stderr.contains("--dropout 0.5 differs from the resumed checkpoint's 0.2"), "\(changed)")
        }
    }

    @Test func unitErrors() throws {
        try withTemporaryDirectory { dir in
            try write("hello\nhello hello\n", to: "one.txt", in: dir)
            let one = try ToolProcess.run(["train", "--data", "one.txt", "--unit", "word"], in: dir)
            #expect(
                one.status == 1
                    && one.stderr
                        == "error: --data file 'one.txt' has 1 distinct word ('hello'); --unit word needs at least 2 to learn from; use a longer text, or --unit char\n",
                "\(one)")
            let limit = try ToolProcess.run(["train", "--data", "one.txt", "--vocab-limit", "5"], in: dir)
            #expect(limit.status == 1 && limit.stderr.hasPrefix("error: --vocab-limit applies to --unit word"), "\(limit)")
            let example = try ToolProcess.run(["train", "--unit", "word"], in: dir)
            #expect(example.status == 1 && example.stderr.hasPrefix("error: --unit needs --data FILE"), "\(example)")
            let bad = try ToolProcess.run(["train", "--data", "one.txt", "--unit", "token"], in: dir)
            #expect(bad.status != 0 && bad.stderr.contains("char") && bad.stderr.contains("word"), "\(bad)")
        }
    }
}
