import Foundation
import Linalg
import RNN
import RNNTraining
import Testing
import ToolTesting

#if canImport(Glibc)
    import Glibc
#endif

/// `seq2seq` on a small generated task: train → translate → eval, exact resume, Ctrl-C,
/// and bad input as one `error:` line with nothing written over a good checkpoint.
@Suite(.precision(.fp32)) struct Seq2SeqToolTests {
    /// `count` pairs "letters<TAB>the letters reversed" (3 to 6 of 6 letters, spaced so that
    /// BLEU has words to count), seeded: a task whose every output token is aligned with
    /// one source token.
    static func reversalPairs(_ count: Int, seed: UInt64) -> String {
        var state = seed &+ 0x9E37_79B9_7F4A_7C15
        func next(_ n: Int) -> Int {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int((state >> 33) % UInt64(n))
        }
        return (0..<count).map { _ in
            let letters = (0..<(3 + next(4))).map { _ in String(Array("abcdef")[next(6)]) }
            return "\(letters.joined(separator: " "))\t\(letters.reversed().joined(separator: " "))\n"
        }.joined()
    }

    static func run(_ arguments: [String], in dir: String) throws -> ToolProcess.Result {
        try ToolProcess.run(arguments, in: dir, timeout: 300, tool: .seq2seq)
    }

    static let model = ["--hidden-size", "48", "--batch-size", "32", "--lr", "0.01", "--seed", "3"]

    @Test func trainTranslateAndEvaluate() throws {
        try withTemporaryDirectory { dir in
            _ = try write(Self.reversalPairs(1200, seed: 1), to: "train.tsv", in: dir)
            _ = try write(Self.reversalPairs(200, seed: 2), to: "test.tsv", in: dir)
            let train = try Self.run(
                ["train", "--pairs", "train.tsv", "--epochs", "12", "--checkpoint", "r.safetensors", "--history", "h.csv"] + Self.model,
                in: dir)
            #expect(train.status == 0, "\(train)")
            #expect(train.stderr.contains("seq2seq: 1,140 training and 60 validation pairs of 'train.tsv'"), "\(train)")
            #expect(train.stderr.contains("general attention"), "\(train)")
            #expect(train.stderr.contains("epoch 12/12: train loss "), "\(train)")

            let eval = try Self.run(["eval", "--checkpoint", "r.safetensors", "--pairs", "test.tsv", "--json"], in: dir)
            #expect(eval.status == 0, "\(eval)")
            let json = try JSONSerialization.jsonObject(with: Data(eval.stdout.utf8)) as! [String: Any]
            let exact = json["exact_match"] as! Double, tokens = json["token_accuracy"] as! Double, bleu = json["bleu"] as! Double
            #expect(exact >= 0.8 && tokens >= 0.9 && bleu > 50, "\(json)")
            #expect(json["pairs"] as? Int == 200 && json["beam"] as? Int == 5, "\(json)")

            _ = try write("a b c d\n\nf e d\n", to: "in.txt", in: dir)
            let translated = try Self.run(["translate", "--checkpoint", "r.safetensors", "--input", "in.txt"], in: dir)
            #expect(translated.status == 0, "\(translated)")
            let lines = translated.stdout.split(separator: "\n", omittingEmptySubsequences: false)
            #expect(lines.count == 4 && lines[1].isEmpty && lines[3].isEmpty, "\(translated)")
            let nBest = try Self.run(
                ["translate", "--checkpoint", "r.safetensors", "--input", "in.txt", "--beam", "4", "--n-best", "3", "--show-attention"],
                in: dir)
            #expect(nBest.status == 0, "\(nBest)")
            let rows = nBest.stdout.split(separator: "\n").map { $0.components(separatedBy: " ||| ") }
            #expect(rows.count == 6 && rows.allSatisfy { $0.count == 3 && Double($0[2]) != nil }, "\(nBest)")
            #expect(rows.prefix(3).allSatisfy { $0[0] == "1" } && rows.suffix(3).allSatisfy { $0[0] == "3" }, "\(nBest)")
            #expect(nBest.stderr.contains("attention of line 3 (rows: output tokens; columns: source tokens; percent)"), "\(nBest)")

            let export = try Self.run(["export", "--checkpoint", "r.safetensors", "--onnx", "r.onnx"], in: dir)
            #expect(export.status == 0, "\(export)")
            #expect(export.stdout.contains("outputs   hn: float[1, B, 48], memory: float[T, B, 48]"), "\(export)")
            #expect(
                export.stdout.contains("outputs   logits: float[T, B, 10], hn: float[1, B, 48], attention: float[T, B, S]"), "\(export)")
            #expect(
                FileManager.default.fileExists(atPath: dir + "/r.encoder.onnx")
                    && FileManager.default.fileExists(atPath: dir + "/r.decoder.onnx"))
        }
    }

    /// `--precision bf16` on train, eval and translate: a model trained in bf16 learns the
    /// task; its evaluation in bf16 gives fp32's loss within 1e-2 and says which it ran in.
    /// Refused, writing nothing, on a CPU without bf16 hardware.
    @Test func trainsEvaluatesAndTranslatesInBF16() throws {
        try withTemporaryDirectory { dir in
            _ = try write(Self.reversalPairs(1200, seed: 1), to: "train.tsv", in: dir)
            _ = try write(Self.reversalPairs(200, seed: 2), to: "test.tsv", in: dir)
            _ = try write("a b c d\nf e d\n", to: "in.txt", in: dir)
            let train = ["train", "--pairs", "train.tsv", "--epochs", "10", "--checkpoint", "b.safetensors"] + Self.model
            let eval = ["eval", "--checkpoint", "b.safetensors", "--pairs", "test.tsv", "--json"]
            let translate = ["translate", "--checkpoint", "b.safetensors", "--input", "in.txt"]
            guard BF16Support.current.isAvailable else {
                return try expectBF16Refused([train, eval, translate], output: dir + "/b.safetensors") { try Self.run($0, in: dir) }
            }
            let trained = try Self.run(train + ["--precision", "bf16"], in: dir)
            #expect(trained.status == 0 && trained.stderr.contains("batch 32, bf16"), "\(trained)")
            func figures(_ precision: String) throws -> [String: Any] {
                let r = try Self.run(eval + ["--precision", precision, "--threads", "2"], in: dir)
                #expect(r.status == 0, "\(r)")
                let json = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as! [String: Any]
                #expect(json["precision"] as? String == precision, "\(json)")
                return json
            }
            let bf16 = try figures("bf16"), fp32 = try figures("fp32")
            #expect(bf16["exact_match"] as! Double >= 0.8, "\(bf16)")
            let (a, b) = (bf16["loss"] as! Double, fp32["loss"] as! Double)
            #expect(abs(a - b) < 1e-2 && a != b, "bf16 loss \(a), fp32 \(b)")
            let translated = try Self.run(translate + ["--precision", "bf16"], in: dir)
            #expect(translated.status == 0 && translated.stdout.split(separator: "\n").count == 2, "\(translated)")
        }
    }

    /// Two epochs and `--resume` to four equal four in one run, bit for bit (additive
    /// attention with input feeding, an LSTM, a bidirectional encoder); Ctrl-C saves a
    /// checkpoint that resumes; an input-feeding model translates but does not export.
    @Test func resumeIsExactAndCtrlCSaves() throws {
        try withTemporaryDirectory { dir in
            _ = try write(Self.reversalPairs(300, seed: 4), to: "p.tsv", in: dir)
            let common =
                ["train", "--pairs", "p.tsv", "--attention", "additive", "--input-feeding", "--cell", "lstm", "--bidirectional-encoder"]
                + Self.model
            #expect(try Self.run(common + ["--epochs", "4", "--checkpoint", "full.safetensors"], in: dir).status == 0)
            #expect(try Self.run(common + ["--epochs", "2", "--checkpoint", "half.safetensors"], in: dir).status == 0)
            let resumed = try Self.run(
                ["train", "--pairs", "p.tsv", "--resume", "half.safetensors", "--epochs", "4", "--checkpoint", "resumed.safetensors"],
                in: dir)
            #expect(resumed.status == 0 && resumed.stderr.contains("seq2seq: resuming 'half.safetensors' after epoch 2"), "\(resumed)")
            let full = try ModelCheckpoint<EncoderDecoderModel>.read(path: dir + "/full.safetensors").model
            let again = try ModelCheckpoint<EncoderDecoderModel>.read(path: dir + "/resumed.safetensors").model
            #expect(full.parameters.values.array == again.parameters.values.array)
            #expect(full.configuration.attention == .additive && full.configuration.bidirectionalEncoder)
            #expect(full.configuration.inputFeeding)
            _ = try write("a b c\n", to: "in.txt", in: dir)
            let translated = try Self.run(["translate", "--checkpoint", "full.safetensors", "--input", "in.txt"], in: dir)
            #expect(translated.status == 0 && translated.stdout.split(separator: "\n").count == 1, "\(translated)")
            let export = try Self.run(["export", "--checkpoint", "full.safetensors", "--onnx", "f.onnx"], in: dir)
            #expect(export.status == 1 && export.stderr.contains("input feeding has no ONNX form yet"), "\(export)")

            let stopped = try ToolProcess.signaledAfterFirstStep(
                common + ["--epochs", "100000", "--checkpoint", "stopped.safetensors"], SIGINT, in: dir, tool: .seq2seq,
                marker: "epoch 1/")
            #expect(stopped.status == 130, "\(stopped)")
            #expect(stopped.stderr.contains("seq2seq: stopped by Ctrl-C at epoch "), "\(stopped)")
            let epoch = Int(stopped.stderr.components(separatedBy: "at epoch ").last!.prefix { $0.isNumber })!
            let more = try Self.run(
                [
                    "train", "--pairs", "p.tsv", "--resume", "stopped.safetensors", "--epochs", "\(epoch + 1)", "--checkpoint",
                    "m.safetensors",
                ],
                in: dir)
            #expect(more.status == 0 && more.stdout.contains("saved m.safetensors"), "\(more)")
        }
    }

    /// Each bad input: exit 1, one `error:` line naming the file (and line), the good
    /// checkpoint at the same path untouched.
    @Test func badInputIsOneErrorLineAndLosesNothing() throws {
        try withTemporaryDirectory { dir in
            _ = try write(Self.reversalPairs(100, seed: 5), to: "good.tsv", in: dir)
            #expect(
                try Self.run(["train", "--pairs", "good.tsv", "--epochs", "1", "--checkpoint", "c.safetensors"] + Self.model, in: dir)
                    .status == 0)
            let good = try Data(contentsOf: URL(fileURLWithPath: dir + "/c.safetensors"))
            _ = try write("abc\tcba\nabc cba\n", to: "notab.tsv", in: dir)
            _ = try write("abc\tcba\n\tx\n", to: "emptyside.tsv", in: dir)
            _ = try write("abc\tcba\n", to: "one.tsv", in: dir)
            _ = try write("a b\tb a\nc d\t\u{3000}\n", to: "blank.tsv", in: dir)
            try Data([0x61, 0x09, 0x62, 0x0A, 0x61, 0xFF, 0x09, 0x62, 0x0A]).write(to: URL(fileURLWithPath: dir + "/latin1.tsv"))
            let cases: [([String], String)] = [
                (["--pairs", "notab.tsv"], "'notab.tsv' line 2 has no tab; each line is one pair: SOURCE<TAB>TARGET"),
                (["--pairs", "emptyside.tsv"], "'emptyside.tsv' line 2 has an empty source"),
                (["--pairs", "latin1.tsv"], "'latin1.tsv' line 2 is not UTF-8 text"),
                (["--pairs", "one.tsv"], "--pairs 'one.tsv' holds 1 pair; training needs at least 2"),
                (["--pairs", "missing.tsv"], "--pairs file 'missing.tsv' does not exist"),
                (["--pairs", "blank.tsv", "--target-unit", "word"], "'blank.tsv' line 2 has a target of no word (only spaces)"),
                (["--pairs", "good.tsv", "--target-vocabulary-limit", "0"], "--target-vocabulary-limit 0 leaves only <unk>"),
                (["--pairs", "good.tsv", "--attention", "dot", "--bidirectional-encoder"], "use --attention general or additive"),
                (["--pairs", "good.tsv", "--attention", "none", "--input-feeding"], "--input-feeding feeds the attentional state back"),
                (["--pairs", "good.tsv", "--hidden-size", "60000", "--num-layers", "8"], "give a smaller --hidden-size or --num-layers"),
            ]
            for (arguments, message) in cases {
                let result = try Self.run(["train"] + arguments + ["--checkpoint", "c.safetensors"], in: dir)
                #expect(result.status == 1 && !result.signaled, "\(arguments): \(result)")
                #expect(result.stderr.contains("error: ") && result.stderr.contains(message), "\(arguments): \(result)")
                #expect(result.stderr.split(separator: "\n").count == 1, "\(arguments): \(result)")
                #expect(try Data(contentsOf: URL(fileURLWithPath: dir + "/c.safetensors")) == good, "\(arguments) changed the checkpoint")
            }
            _ = try write("abcdefabcdefabcdef\n", to: "long.txt", in: dir)
            let translateCases: [([String], String)] = [
                (
                    ["--input", "long.txt"],
                    "--input 'long.txt' line 1 has a source of 18 tokens; the model was trained on sources of at most 11"
                ),
                (["--beam", "0"], "--beam 0: the beam width must be at least 1"),
                (["--beam", "100"], "--beam 100 is wider than the target vocabulary (10 tokens)"),
                (["--beam", "2", "--n-best", "3"], "n-best must be in 1...2"),
            ]
            for (arguments, message) in translateCases {
                let result = try Self.run(["translate", "--checkpoint", "c.safetensors"] + arguments, in: dir)
                #expect(result.status != 0 && !result.signaled && result.stderr.contains(message), "\(arguments): \(result)")
            }
            let eval = try Self.run(["eval", "--checkpoint", "nothing.safetensors", "--pairs", "good.tsv"], in: dir)
            #expect(eval.status == 1 && eval.stderr.contains("--checkpoint 'nothing.safetensors' does not exist"), "\(eval)")
        }
    }
}
