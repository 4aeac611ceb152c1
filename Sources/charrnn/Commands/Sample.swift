import ArgumentParser
import Foundation
import Linalg
import RNN
import RNNTraining
import SafeTensors
import _FileIO
import _ToolSupport

extension CharRNN {
    /// `charrnn sample`: text from a checkpoint, to stdout.
    struct Sample: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Generate text from a trained checkpoint (to stdout).",
            discussion: """
                Prints the prime followed by --length generated tokens — characters,
                bytes or words, the checkpoint's unit — and a newline. Without a prime the
                model starts after a newline (or from a random character when its
                vocabulary has no newline). A word model joins words with spaces (none
                before closing punctuation) and writes <eos> as a newline; a byte model
                writes the bytes as they are. Diagnostics go to stderr, so the output can
                be redirected as is. The cell (rnn, gru or lstm), the sizes and the unit
                come from the checkpoint.

                Examples:
                  charrnn sample --checkpoint model.safetensors --prime "ROMEO:" --length 300
                  charrnn sample --checkpoint model.safetensors --temperature 0 --prime "The "   (greedy)
                  charrnn sample --checkpoint model.safetensors --temperature 1 --top-k 5 --seed 7
                """
        )

        @Option(help: ArgumentHelp("The checkpoint to sample from (.safetensors, written by charrnn train).", valueName: "path"))
        var checkpoint: String

        @Option(
            parsing: .unconditional,
            help: ArgumentHelp("Text the model reads before generating; printed first (may start with a dash).", valueName: "text"))
        var prime: String?

        @Option(help: ArgumentHelp("Read the prime from a UTF-8 file instead of --prime.", valueName: "file"))
        var primeFile: String?

        @Option(parsing: .unconditional, help: ArgumentHelp("Number of tokens (characters, bytes or words) to generate.", valueName: "n"))
        var length = 500

        @Option(
            parsing: .unconditional,
            help: ArgumentHelp(
                "Sampling temperature: 0 always takes the most likely character (greedy), 1 samples from the model's distribution, lower values are more conservative.",
                valueName: "t"))
        var temperature: Float = OptionTable.sampleTemperature

        @Option(parsing: .unconditional, help: ArgumentHelp("Only draw from the k most likely characters.", valueName: "k"))
        var topK: Int?

        @Option(parsing: .unconditional, help: ArgumentHelp("Random seed (the same seed and settings give the same text).", valueName: "n"))
        var seed: UInt64 = 0

        @Option(
            parsing: .unconditional,
            help: ArgumentHelp(
                "Draw n independent samples in one batch (faster than n runs); sample i uses seed --seed + i, so it is drawn as a single run with that seed draws: the same prime, and the same text until a draw falls within float rounding of a tie (a batch's products round differently from one sequence's), rare but possible in long samples. Printed one after another, separated by an empty line (or as JSON lines with --json).",
                valueName: "n"))
        var numSamples = 1

        @Flag(
            help:
                "Print each sample as a JSON line: {\"sample\": i, \"seed\": s, \"text\": ...} (the prime included; a byte model's bytes that are not UTF-8 become U+FFFD)."
        )
        var json = false

        @OptionGroup var unknown: UnknownCharacterOptions

        @Option(
            help: ArgumentHelp(
                "Also write, for each generated character, the logits it was drawn from and its token, one JSON object per line (for comparing with PyTorch: scripts/load_checkpoint_pytorch.py).",
                valueName: "file"))
        var dumpLogits: String?

        @Flag(help: "Print only the text (no description on stderr).")
        var quiet = false

        @OptionGroup var precision: PrecisionOptions
        @OptionGroup var runtime: RuntimeOptions

        func validate() throws {
            try Check.range(length, 0...100_000_000, "--length")
            try Check.positive(temperature, "--temperature", allowZero: true, maximum: 100, meaning: " (0 = greedy)")
            if let topK { try Check.atLeast(topK, 1, "--top-k") }
            try Check.range(numSamples, 1...4096, "--num-samples")
            if numSamples > 1 && dumpLogits != nil {
                throw CLIError("--dump-logits records one sample's logits; give it without --num-samples")
            }
            if prime != nil && primeFile != nil { throw CLIError("give --prime or --prime-file, not both") }
        }

        func run() throws {
            runtime.apply()
            let ck = try CheckpointFile.load(checkpoint, option: "--checkpoint")
            try precision.apply(to: ck.model)
            if let dumpLogits { try OutputPath.checkWritable(dumpLogits, option: "--dump-logits") }
            var primeText = prime ?? ""
            var primeOption = "--prime"
            if let primeFile {
                primeText = try TextFile.read(primeFile, option: "--prime-file", allowEmpty: true)
                primeOption = "--prime-file"
            }
            let (tokens, kept) = try Self.encode(
                primeText, option: primeOption, vocabulary: ck.vocabulary,
                skipUnknown: unknown.skipUnknown)
            // The prime runs as one sequence; a batch's samples are kept until printed.
            try MemoryBudget.requireForward(
                ck.model.configuration, rows: max(tokens.count, 1), batchSize: 1, precision: precision.precision,
                what: "reading a prime of", hint: "use a shorter \(primeOption)")
            if numSamples > 1 || json {
                let bytes = Double(numSamples) * Double(length) * (ck.vocabulary.unit == .word ? 24 : 8)
                try MemoryBudget.require(
                    bytes, "keeping \(numSamples) samples of \(Format.plural(length, ck.vocabulary.unit.tokenName)) until they are printed",
                    hint: "give a smaller --num-samples or --length")
            }
            var rngs = (0..<numSamples).map { SeededRandom(seed: seed &+ UInt64($0)) }
            var logitLines: [String] = []
            let vocabulary = ck.vocabulary
            // One sample is printed as it is drawn (flushed per line); a batch when it is done.
            let stream = numSamples == 1 && !json ? LineStream() : nil
            stream?.write(Array(kept.utf8))
            InterruptHandler.install(message: "\ncharrnn: Ctrl-C: stopping the sample (press Ctrl-C again to quit at once)\n")
            defer { InterruptHandler.uninstall() }
            let samples = try ck.model.withThreads(ComputeThreads.count) {
                try TextGenerator(model: ck.model, vocabulary: ck.vocabulary)
                    .generate(
                        prime: tokens, primeEndsInSpace: kept.last?.isWhitespace == true, length: length, temperature: temperature,
                        topK: topK, rngs: &rngs,
                        onPrimed: {
                            guard !quiet else { return }
                            let how =
                                temperature == 0
                                ? "greedily (temperature 0)"
                                : "at temperature \(Format.number(temperature))\(topK.map { ", top-k \($0)" } ?? ""), seed \(seed)\(numSamples > 1 ? " (sample i: seed \(seed) + i)" : "")"
                            let what =
                                numSamples > 1
                                ? "\(numSamples) samples of \(Format.plural(length, ck.vocabulary.unit.tokenName)) in one batch"
                                : Format.plural(length, ck.vocabulary.unit.tokenName)
                            Console.note(
                                "Sampling \(what) from \(checkpoint) (\(CheckpointFile.describe(ck))) \(how)\(precision.precision == .bf16 ? ", in bf16" : ""):"
                            )
                        },
                        onLogits: dumpLogits == nil
                            ? nil
                            : { logits, token in
                                logitLines.append("{\"token\":\(token),\"logits\":[" + logits.map { "\($0)" }.joined(separator: ",") + "]}")
                            },
                        onToken: stream.map { stream in { _, token, previous in stream.append(token, after: previous, of: vocabulary) } },
                        keepOutputs: stream == nil,
                        shouldStop: { InterruptHandler.requested })
            }
            if let stream {
                stream.write([10])
                stream.flush()
            } else {
                for (i, sample) in samples.enumerated() {
                    let text = Array(kept.utf8) + sample
                    if json {
                        Console.out(
                            "{\"sample\":\(i),\"seed\":\(seed &+ UInt64(i)),\"text\":\(JSONString.quoted(String(decoding: text, as: UTF8.self)))}\n"
                        )
                    } else {
                        Console.out(bytes: (i > 0 ? [10] : []) + text + [10])
                    }
                }
            }
            if let dumpLogits {
                try OutputPath.write(logitLines.joined(separator: "\n") + "\n", to: dumpLogits, option: "--dump-logits")
            }
            if InterruptHandler.requested {
                Console.note("charrnn: stopped by Ctrl-C; what was printed is kept")
                throw Interrupted()
            }
        }

        /// The tokens of `text` in the unit of `vocabulary`: for characters, ones outside
        /// it are an error naming the first, or dropped with a warning; words outside it
        /// are read as `<unk>`, with a warning; bytes are always known. Also returns the
        /// text that was kept.
        static func encode(_ text: String, option: String, vocabulary: TextVocabulary, skipUnknown: Bool) throws -> ([Int32], String) {
            switch vocabulary {
            case .characters(let characters):
                return try encode(text, option: option, characters: characters, skipUnknown: skipUnknown)
            case .bytes:
                return (try vocabulary.encode(text), text)
            case .words(let words):
                let tokens = words.encode(text, closingLastLine: false)
                let unknown = WordVocabulary.tokenize(text).filter { $0 != WordVocabulary.endOfLine && words.token(for: $0) == nil }
                if !unknown.isEmpty {
                    var distinct: [String] = []
                    for w in unknown where !distinct.contains(w) { distinct.append(w) }
                    Console.warning(
                        "\(Format.plural(unknown.count, "word")) of \(option) \(unknown.count == 1 ? "is" : "are") not in the checkpoint's vocabulary of \(Format.count(words.count)) words and read as \(WordVocabulary.unknown): "
                            + distinct.prefix(10).map { "'\($0)'" }.joined(separator: ", "))
                }
                return (tokens, text)
            }
        }

        /// The tokens of `text`'s characters (see `encode`).
        static func encode(_ text: String, option: String, characters vocabulary: Vocabulary, skipUnknown: Bool) throws -> ([Int32], String)
        {
            var tokens: [Int32] = []
            var kept = String.UnicodeScalarView()
            var dropped: [Unicode.Scalar] = []
            for (offset, c) in text.unicodeScalars.enumerated() {
                if let t = vocabulary.token(for: c) {
                    tokens.append(t)
                    kept.append(c)
                } else if skipUnknown {
                    dropped.append(c)
                } else {
                    throw CLIError(
                        "\(option) has the character \(CheckpointError.describe(c)) at offset \(offset), which is not in the checkpoint's vocabulary of \(vocabulary.count) characters; remove it, or pass --skip-unknown to drop such characters"
                    )
                }
            }
            if !dropped.isEmpty {
                var distinct: [Unicode.Scalar] = []
                for c in dropped where !distinct.contains(c) { distinct.append(c) }
                Console.warning(
                    "dropped \(Format.plural(dropped.count, "character")) of \(option) not in the checkpoint's vocabulary: "
                        + distinct.prefix(10).map { CheckpointError.describe($0) }.joined(separator: ", "))
            }
            return (tokens, String(kept))
        }
    }
}
