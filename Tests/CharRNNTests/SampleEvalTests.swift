import Foundation
import Linalg
import RNN
import RNNTraining
import Testing
import ToolTesting

#if canImport(Glibc)
    import Glibc
#endif

/// `1234567` as `1,234,567`.
func grouped(_ n: Int) -> String {
    let digits = Array(String(n))
    return String(digits.enumerated().flatMap { i, c in (i > 0 && (digits.count - i) % 3 == 0) ? [",", c] : [c] })
}

/// `charrnn sample` and `charrnn eval` against a small trained checkpoint.
@Suite struct SampleEvalTests {
    /// Trains a tiny checkpoint `m.safetensors` on generated text `c.txt` in `dir`.
    static func trained(in dir: String) throws -> String {
        let text = generatedText(words: 250, seed: 7)
        try write(text, to: "c.txt", in: dir)
        let r = try ToolProcess.run(
            ["train", "--data", "c.txt", "--epochs", "2", "--checkpoint", "m.safetensors", "--quiet"] + tinyModel, in: dir)
        #expect(r.status == 0, "\(r)")
        return text
    }

    @Test func samplesAreReproducibleAndHaveTheRequestedLength() throws {
        try withTemporaryDirectory { dir in
            _ = try Self.trained(in: dir)
            let base = ["sample", "--checkpoint", "m.safetensors", "--length", "80", "--quiet"]
            let a = try ToolProcess.run(base + ["--prime", "The ", "--seed", "3"], in: dir)
            let b = try ToolProcess.run(base + ["--prime", "The ", "--seed", "3"], in: dir)
            let c = try ToolProcess.run(base + ["--prime", "The ", "--seed", "4", "--temperature", "1.5"], in: dir)
            #expect(a.status == 0 && a.stderr.isEmpty, "\(a)")
            #expect(a.stdout == b.stdout)
            #expect(a.stdout != c.stdout)
            #expect(a.stdout.hasPrefix("The "))
            #expect(a.stdout.unicodeScalars.count == 4 + 80 + 1)

            // Greedy = top-k 1; greedy ignores the seed.
            let greedy = try ToolProcess.run(base + ["--prime", "The ", "--temperature", "0"], in: dir)
            let greedy2 = try ToolProcess.run(base + ["--prime", "The ", "--temperature", "0", "--seed", "9"], in: dir)
            let top1 = try ToolProcess.run(base + ["--prime", "The ", "--top-k", "1", "--temperature", "1"], in: dir)
            #expect(greedy.stdout == greedy2.stdout && greedy.stdout == top1.stdout)

            // No prime: starts after a newline (the text has one); the output is just the generated text.
            let free = try ToolProcess.run(base, in: dir)
            #expect(free.status == 0 && free.stdout.unicodeScalars.count == 81, "\(free)")

            // A prime from a file; the description goes to stderr without --quiet.
            try write("She said ", to: "prime.txt", in: dir)
            let file = try ToolProcess.run(
                ["sample", "--checkpoint", "m.safetensors", "--prime-file", "prime.txt", "--length", "5"], in: dir)
            #expect(file.status == 0, "\(file)")
            #expect(file.stdout.hasPrefix("She said ") && file.stdout.unicodeScalars.count == 9 + 5 + 1)
            #expect(file.stderr.contains("Sampling 5 characters from m.safetensors (1-layer tanh RNN, 16 hidden units"))
        }
    }

    @Test func skipUnknownDropsPrimeCharactersWithAWarning() throws {
        try withTemporaryDirectory { dir in
            _ = try Self.trained(in: dir)
            let r = try ToolProcess.run(
                ["sample", "--checkpoint", "m.safetensors", "--prime", "The Ж cat", "--length", "10", "--skip-unknown"], in: dir)
            #expect(r.status == 0, "\(r)")
            #expect(r.stdout.hasPrefix("The  cat"))
            #expect(r.stderr.contains("warning: dropped 1 character of --prime not in the checkpoint's vocabulary: 'Ж' (U+0416)"))
        }
    }

    @Test func dumpedLogitsMatchTheModelAndTheGreedyChoice() throws {
        try withTemporaryDirectory { dir in
            _ = try Self.trained(in: dir)
            let r = try ToolProcess.run(
                [
                    "sample", "--checkpoint", "m.safetensors", "--prime", "the", "--length", "6", "--temperature", "0",
                    "--dump-logits", "l.jsonl", "--quiet",
                ], in: dir)
            #expect(r.status == 0, "\(r)")
            let lines = try String(contentsOfFile: dir + "/l.jsonl", encoding: .utf8).split(separator: "\n")
            #expect(lines.count == 6)
            let checkpoint = try Checkpoint.read(path: dir + "/m.safetensors")
            let generated = Array(r.stdout.unicodeScalars.dropFirst(3).prefix(6))
            // Recompute in-process: the logits after "the" + generated[0..<k].
            let tokens = try checkpoint.vocabulary.encode("the" + String(String.UnicodeScalarView(generated)))
            let logits = checkpoint.model.forward(.tokens(tokens), batchSize: 1)
            for (k, line) in lines.enumerated() {
                let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
                let values = try #require(object["logits"] as? [Double]).map(Float.init)
                // One step at a time vs one forward over the whole sequence: equal up to rounding.
                let reference = logits.row(2 + k)
                #expect(values.count == reference.count)
                #expect(zip(values, reference).allSatisfy { abs($0 - $1) < 1e-5 }, "step \(k)")
                #expect(object["token"] as? Int == Int(tokens[3 + k]))
                #expect(values.indices.max { values[$0] < values[$1] } == Int(tokens[3 + k]))
            }
        }
    }

    /// `--num-samples N` draws N samples in one batch; sample i is the single sample of
    /// seed + i, printed one after another, or as JSON lines.
    @Test func aBatchOfSamplesIsTheSingleSamplesOfTheirSeeds() throws {
        try withTemporaryDirectory { dir in
            _ = try Self.trained(in: dir)
            let base = ["sample", "--checkpoint", "m.safetensors", "--length", "60", "--prime", "The ", "--quiet"]
            let batch = try ToolProcess.run(base + ["--num-samples", "4", "--seed", "10"], in: dir)
            #expect(batch.status == 0, "\(batch)")
            var singles: [String] = []
            for i in 0..<4 {
                let one = try ToolProcess.run(base + ["--seed", String(10 + i)], in: dir)
                singles.append(one.stdout)
            }
            #expect(batch.stdout == singles.joined(separator: "\n"))
            #expect(Set(singles).count == 4)
            let json = try ToolProcess.run(base + ["--num-samples", "2", "--seed", "10", "--json"], in: dir)
            let lines = json.stdout.split(separator: "\n")
            #expect(lines.count == 2, "\(json)")
            for (i, line) in lines.enumerated() {
                let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
                #expect(object["sample"] as? Int == i && object["seed"] as? Int == 10 + i)
                #expect((object["text"] as? String).map { $0 + "\n" } == singles[i])
            }
            let bad = try ToolProcess.run(base + ["--num-samples", "0"], in: dir)
            #expect(bad.status == 1 && bad.stderr.contains("--num-samples"), "\(bad)")
        }
    }

    /// A long sample is printed as it is drawn; Ctrl-C stops it, keeps what was printed and exits 130.
    @Test func aSampleStreamsAndStopsOnCtrlC() throws {
        try withTemporaryDirectory { dir in
            _ = try Self.trained(in: dir)
            let (process, out, err) = try ToolProcess.start(
                [
                    "sample", "--checkpoint", "m.safetensors", "--length", "100000000",
                    "--prime", "The ", "--quiet",
                ], in: dir)
            // Output appears before the sample is done (it would take minutes).
            let deadline = Date().addingTimeInterval(30)
            while process.isRunning && Date() < deadline, ((try? Data(contentsOf: out))?.count ?? 0) < 2000 { usleep(20_000) }
            #expect(process.isRunning)
            kill(process.processIdentifier, SIGINT)
            let result = ToolProcess.finish(process, out, err, timeout: 30)
            #expect(result.status == 130 && !result.signaled, "\(result.stderr)")
            #expect(result.stdout.hasPrefix("The ") && result.stdout.unicodeScalars.count > 2000)
            #expect(result.stderr.contains("stopping the sample") && result.stderr.contains("what was printed is kept"), "\(result.stderr)")
        }
    }

    /// `--streams N` reads the text as N parallel streams: close to the one-stream loss.
    @Test func evalAsParallelStreams() throws {
        try withTemporaryDirectory { dir in
            _ = try Self.trained(in: dir)
            func loss(_ extra: [String]) throws -> (Double, String) {
                let r = try ToolProcess.run(["eval", "--checkpoint", "m.safetensors", "--data", "c.txt"] + extra, in: dir)
                #expect(r.status == 0, "\(r)")
                let line = try #require(r.stdout.split(separator: "\n").first { $0.hasPrefix("cross-entropy") })
                return (try #require(Double(line.split(separator: " ")[1])), r.stdout)
            }
            let (one, _) = try loss([])
            let (four, text) = try loss(["--streams", "4"])
            #expect(text.contains("(as 4 streams)"), "\(text)")
            #expect(four != one && abs(four - one) < 0.05 * one, "one stream \(one), four \(four)")
        }
    }

    /// `eval` and `sample` take `--precision bf16`: the loss within 1e-2 of fp32's (on one
    /// thread and split across two) and the note naming the precision, a greedy sample's
    /// note saying bf16; refused with the reason where the CPU has no bf16 hardware.
    @Test func evalAndSampleRunInBF16() throws {
        try withTemporaryDirectory { dir in
            _ = try Self.trained(in: dir)
            let eval = ["eval", "--checkpoint", "m.safetensors", "--data", "c.txt"]
            guard BF16Support.current.isAvailable else {
                for command in [eval, ["sample", "--checkpoint", "m.safetensors"]] {
                    let r = try ToolProcess.run(command + ["--precision", "bf16"], in: dir)
                    #expect(r.status != 0 && r.stderr.contains("--precision bf16: bf16 needs a CPU with AVX-512 BF16"), "\(r)")
                }
                return
            }
            func loss(_ extra: [String]) throws -> Double {
                let r = try ToolProcess.run(eval + extra, in: dir)
                #expect(r.status == 0, "\(r)")
                #expect(r.stderr.contains(extra.contains("bf16") ? ", bf16)" : ", fp32)"), "\(r)")
                let line = try #require(r.stdout.split(separator: "\n").first { $0.hasPrefix("cross-entropy") })
                return try #require(Double(line.split(separator: " ")[1]))
            }
            let fp32 = try loss(["--threads", "1", "--precision", "fp32"])
            for threads in ["1", "2"] {
                let bf16 = try loss(["--threads", threads, "--precision", "bf16"])
                // Printed to 4 decimals, the two agree here; the library's tests see them differ.
                #expect(abs(bf16 - fp32) < 1e-2, "\(threads) threads: bf16 \(bf16), fp32 \(fp32)")
            }
            let sample = try ToolProcess.run(
                [
                    "sample", "--checkpoint", "m.safetensors", "--prime", "The ", "--length", "40", "--temperature", "0", "--precision",
                    "bf16",
                ],
                in: dir)
            #expect(sample.status == 0 && sample.stdout.hasPrefix("The ") && sample.stdout.unicodeScalars.count == 4 + 40 + 1, "\(sample)")
            #expect(sample.stderr.contains("greedily (temperature 0), in bf16:"), "\(sample)")
        }
    }

    @Test func evalReportsCrossEntropyBitsAndPerplexityOverTheWholeText() throws {
        try withTemporaryDirectory { dir in
            let text = try Self.trained(in: dir)
            let r = try ToolProcess.run(["eval", "--checkpoint", "m.safetensors", "--data", "c.txt"], in: dir)
            #expect(r.status == 0, "\(r)")
            func value(_ label: String) throws -> Double {
                let line = try #require(r.stdout.split(separator: "\n").first { $0.hasPrefix(label) })
                return try #require(Double(line.dropFirst(label.count).split(separator: " ").first ?? ""))
            }
            let ce = try value("cross-entropy"), bits = try value("bits per char"), ppl = try value("perplexity")
            #expect(abs(bits - ce / log(2)) < 1e-3)
            #expect(abs(ppl - exp(ce)) < 1e-3 * ppl)
            let n = text.unicodeScalars.count
            #expect(r.stdout.contains("\(grouped(n)) characters, \(grouped(n - 1)) predicted"), "\(r)")

            // The same number in-process: one forward over the whole text, state carried step by step.
            let checkpoint = try Checkpoint.read(path: dir + "/m.safetensors")
            let tokens = try checkpoint.vocabulary.encode(text)
            let expected = checkpoint.model.loss(.tokens(Array(tokens.dropLast())), targets: Array(tokens.dropFirst()), batchSize: 1)
            #expect(abs(ce - expected) < 5e-4, "eval \(ce) vs whole-text forward \(expected)")
        }
    }
}
