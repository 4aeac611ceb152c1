import Foundation
import Linalg
import RNN
import RNNTraining
import Testing
import ToolTesting

private let badInputDirectory = FileManager.default.temporaryDirectory
    .appendingPathComponent("CharRNNBadInput-\(UUID().uuidString)").path

/// Files for the bad-input cases, made once per test process in a temporary directory
/// (removed when the process exits).
struct BadInputFixture: Sendable {
    let dir: String
    let corpus = "corpus.txt"

    static let shared: BadInputFixture = {
        try! FileManager.default.createDirectory(atPath: badInputDirectory, withIntermediateDirectories: true)
        atexit { try? FileManager.default.removeItem(atPath: badInputDirectory) }
        let fixture = BadInputFixture(dir: badInputDirectory)
        try! fixture.make()
        return fixture
    }()

    func path(_ name: String) -> String { dir + "/" + name }

    private func put(_ bytes: [UInt8], _ name: String) throws {
        try Data(bytes).write(to: URL(fileURLWithPath: path(name)))
    }

    private func make() throws {
        let text = generatedText(words: 300)
        try write(text, to: corpus, in: dir)
        try write("", to: "empty.txt", in: dir)
        try put(Array("café au lait\n".utf8.prefix(3)) + [0xE9] + Array(" au lait\n".utf8), "latin1.txt")
        try write("hello world\n", to: "short.txt", in: dir)
        try write("Ж and ü and 日本\n", to: "other.txt", in: dir)
        try write("t", to: "one.txt", in: dir)
        try FileManager.default.createDirectory(atPath: path("subdir"), withIntermediateDirectories: false)

        // A valid checkpoint for the corpus, built in-process.
        var rng = SeededRandom(seed: 1)
        let vocabulary = Vocabulary(text: text)
        let model = ManyToManyModel(inputSize: vocabulary.count, hiddenSize: 8, outputSize: vocabulary.count, using: &rng)
        let checkpoint = Checkpoint(model: model, vocabulary: vocabulary)
        let good = checkpoint.safeTensors.serialized()
        try put(good, "model.safetensors")

        // Damaged copies.
        try put(Array(good.dropLast(10)), "truncated.safetensors")
        try put([0xFF, 0xFF, 0xFF, 0xFF, 0, 0, 0, 0] + good.dropFirst(8), "badlength.safetensors")
        let headerLength = Int(good[0]) | Int(good[1]) << 8 | Int(good[2]) << 16
        var notJSON = good
        for i in 8..<(8 + headerLength) { notJSON[i] = UInt8(ascii: "#") }
        try put(notJSON, "notjson.safetensors")
        try put([1, 2, 3], "tiny.safetensors")
        func raw(_ header: String, data: [UInt8]) -> [UInt8] {
            let h = Array(header.utf8)
            return (0..<8).map { UInt8(truncatingIfNeeded: UInt64(h.count) >> (8 * UInt64($0))) } + h + data
        }
        try put(raw(#"{"fc.bias":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}}"#, data: [0, 0, 0, 0]), "offsets.safetensors")
        try put(raw(#"{"fc.bias":{"dtype":"F16","shape":[2],"data_offsets":[0,4]}}"#, data: [0, 0, 0, 0]), "dtype.safetensors")
        try put(raw(#"{"x":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}"#, data: [0, 0, 0, 0]), "notcheckpoint.safetensors")
        var shapes = checkpoint.versionThreeSafeTensors  // the separate keys of format versions 1-3
        shapes.metadata["hidden_size"] = "9"
        try put(shapes.serialized(), "shapes.safetensors")
        var nan = checkpoint.safeTensors
        nan.tensors["fc.bias"]!.values[0] = .nan
        try put(nan.serialized(), "nan.safetensors")

        // A GRU checkpoint for the corpus (model only), and damaged copies of its cell key
        // (format versions 1-3 spelled it as a key of its own; version 4 as JSON).
        let gruCheckpoint = Checkpoint(
            model: ManyToManyModel(
                inputSize: vocabulary.count, hiddenSize: 8,
                outputSize: vocabulary.count, cell: .gru, using: &rng),
            vocabulary: vocabulary)
        try put(gruCheckpoint.safeTensors.serialized(), "gru.safetensors")
        let gru = gruCheckpoint.versionThreeSafeTensors
        var badCell = gru
        badCell.metadata["cell"] = "transformer"
        try put(badCell.serialized(), "badcell.safetensors")
        var lostCell = gru
        lostCell.metadata["cell"] = nil
        lostCell.metadata["nonlinearity"] = "tanh"
        try put(lostCell.serialized(), "lostcell.safetensors")
        var jsonCell = gruCheckpoint.safeTensors
        jsonCell.metadata["configuration"] = jsonCell.metadata["configuration"]!.replacingOccurrences(
            of: #""gru""#, with: #""transformer""#)
        try put(jsonCell.serialized(), "jsoncell.safetensors")

        // Hostile files: a FIFO (open would block), weights so large that the output
        // overflows, counters at Int.max, a header that names a tensor twice.
        guard mkfifo(path("fifo"), 0o600) == 0 else { throw CocoaError(.fileWriteUnknown) }
        var huge = checkpoint.safeTensors
        for name in huge.tensors.keys { huge.tensors[name]!.values = huge.tensors[name]!.values.map { _ in 3e38 } }
        try put(huge.serialized(), "huge.safetensors")
        var training = checkpoint.safeTensors
        training.metadata.merge([
            "optimizer": "adam", "learning_rate": "0.002", "optimizer_step": "21", "step": "21",
            "epoch": "0", "step_in_epoch": "0", "rng_state": "1,2,3,4", "data": "corpus.txt",
        ]) { $1 }
        var stepOverflow = training
        stepOverflow.metadata["optimizer_step"] = "9223372036854775807"
        try put(stepOverflow.serialized(), "stepoverflow.safetensors")
        var epochOverflow = training
        epochOverflow.metadata["epoch"] = "9223372036854775807"
        try put(epochOverflow.serialized(), "epochoverflow.safetensors")
        var fifoData = training
        fifoData.metadata["data"] = path("fifo")
        try put(fifoData.serialized(), "fifodata.safetensors")
        // A scratch character device (the kernel's null device, 1:3) where the tests run
        // as root; elsewhere a FIFO under the same name: either is not a regular file.
        if mknod(path("chardev"), S_IFCHR | 0o600, (1 << 8) | 3) != 0 {  // makedev(1, 3)
            guard mkfifo(path("chardev"), 0o600) == 0 else { throw CocoaError(.fileWriteUnknown) }
        }
        let entry = #"{"dtype":"F32","shape":[1],"data_offsets":[0,4]}"#
        try put(raw(#"{"fc.bias":\#(entry),"fc.bias":\#(entry)}"#, data: [0, 0, 0, 0]), "duplicate.safetensors")
    }
}

/// One bad input: the arguments and a fragment the error message must contain.
struct BadInput: Sendable, CustomTestStringConvertible {
    let arguments: [String]
    let fragments: [String]
    /// Parse errors from swift-argument-parser add usage lines after the error line.
    var parserError = false

    init(_ arguments: [String], _ fragments: String..., parserError: Bool = false) {
        self.arguments = arguments
        self.fragments = fragments
        self.parserError = parserError
    }

    var testDescription: String { arguments.joined(separator: " ") }
}

private let tiny = ["--hidden-size", "8", "--seq-length", "8", "--batch-size", "2", "--threads", "1"]

/// Every bad input of issue 4: a clear `error:` line on stderr, a non-zero exit, no crash.
@Suite struct BadInputTests {
    static let cases: [BadInput] = [
        // Data files.
        BadInput(["train", "--data", "missing.txt"], "--data file 'missing.txt' does not exist"),
        BadInput(["train", "--data", "subdir"], "--data 'subdir' is a directory"),
        BadInput(["train", "--data", "empty.txt"], "--data file 'empty.txt' is empty"),
        BadInput(["train", "--data", "latin1.txt"], "is not UTF-8 text (invalid byte 0xE9 at offset 3)", "iconv"),
        BadInput(["train", "--data", "short.txt"] + tiny, "'short.txt' is too short", "--seq-length + 1 = 9"),
        BadInput(["train", "--data", "corpus.txt", "--batch-size", "200", "--seq-length", "64"], "too short"),
        BadInput(
            ["train", "--data", "short.txt", "--seq-length", "4", "--batch-size", "1"],
            "--val-fraction 0.05 of the 12 characters in 'short.txt' holds out 0, but validation needs at least 2"),
        BadInput(["train", "--data", "corpus.txt", "--checkpoint", "corpus.txt"], "is the data file itself"),
        BadInput(["train", "--data", "corpus.txt", "--checkpoint", "nodir/m.safetensors"], "directory 'nodir' does not exist"),
        BadInput(["train", "--data", "corpus.txt", "--history", "subdir"], "--history 'subdir' is a directory"),
        // Numbers.
        BadInput(["train", "--data", "corpus.txt", "--hidden-size", "0"], "--hidden-size must be between 1 and 16384 (got 0)"),
        BadInput(["train", "--data", "corpus.txt", "--num-layers", "-2"], "--num-layers must be between 1 and 64 (got -2)"),
        BadInput(["train", "--data", "corpus.txt", "--lr", "-1"], "--lr must be a finite number > 0 (got -1)"),
        BadInput(["train", "--data", "corpus.txt", "--lr", "nan"], "--lr must be a finite number > 0 (got nan)"),
        BadInput(["train", "--data", "corpus.txt", "--lr", "inf"], "--lr must be a finite number > 0 (got inf)"),
        BadInput(["train", "--data", "corpus.txt", "--lr", "0"], "--lr must be a finite number > 0 (got 0)"),
        BadInput(["train", "--data", "corpus.txt", "--clip", "-5"], "--clip must be a finite number >= 0"),
        BadInput(["train", "--data", "corpus.txt", "--lr-decay", "1.5"], "--lr-decay must be a finite number > 0 and <= 1"),
        BadInput(["train", "--data", "corpus.txt", "--val-fraction", "0.9"], "--val-fraction must be a number from 0 to 0.5"),
        BadInput(["train", "--data", "corpus.txt", "--val-fraction", "nan"], "--val-fraction must be a number from 0 to 0.5"),
        BadInput(["train", "--data", "corpus.txt", "--epochs", "0"], "--epochs must be between 1 and"),
        BadInput(["train", "--data", "corpus.txt", "--steps", "0"], "--steps must be between 1 and"),
        BadInput(["train", "--data", "corpus.txt", "--seq-length", "0"], "--seq-length must be between 1 and"),
        BadInput(["train", "--data", "corpus.txt", "--batch-size", "0"], "--batch-size must be between 1 and"),
        BadInput(["train", "--data", "corpus.txt", "--threads", "0"], "--threads must be between 1 and 1024 (got 0)"),
        BadInput(["train", "--data", "corpus.txt", "--save-every", "0"], "--save-every must be at least 1"),
        BadInput(["train", "--data", "corpus.txt", "--sample-every", "0"], "--sample-every must be at least 1"),
        BadInput(["train", "--data", "corpus.txt", "--seq-length", "100000", "--batch-size", "1000"], "predictions fit in one step"),
        BadInput(
            ["train", "--data", "corpus.txt", "--hidden-size", "16384", "--num-layers", "64", "--seq-length", "8", "--batch-size", "2"],
            "this model needs about", "make --hidden-size, --num-layers"),
        BadInput(
            ["train", "--data", "corpus.txt", "--seq-length", "abc"], "The value 'abc' is invalid for '--seq-length <n>'", parserError: true
        ),
        BadInput(
            ["train", "--data", "corpus.txt", "--hidden-size", "1e3"], "The value '1e3' is invalid for '--hidden-size <n>'",
            parserError: true),
        BadInput(
            ["train", "--data", "corpus.txt", "--optimizer", "lbfgs"], "'lbfgs' is invalid for '--optimizer", "adam", parserError: true),
        BadInput(
            ["train", "--data", "corpus.txt", "--nonlinearity", "sigmoid"], "'sigmoid' is invalid for '--nonlinearity", "relu",
            parserError: true),
        BadInput(["train", "--data", "corpus.txt", "--bogus"], "Unknown option '--bogus'", parserError: true),
        BadInput(
            ["train", "--data", "corpus.txt", "--bidirectional"],
            "--bidirectional: a language model predicts each token from the ones before it, so it reads forward only"),
        // Cells.
        BadInput(
            ["train", "--data", "corpus.txt", "--cell", "foo"], "The value 'foo' is invalid for '--cell <cell>'", "'rnn', 'gru' or 'lstm'",
            parserError: true),
        BadInput(
            ["train", "--data", "corpus.txt", "--cell", "gru", "--nonlinearity", "relu"],
            "--nonlinearity relu applies to the vanilla RNN only (--cell rnn); --cell gru has fixed sigmoid/tanh gate activations"),
        BadInput(
            ["train", "--data", "corpus.txt", "--cell", "lstm", "--init", "identity"],
            "--init identity applies to the vanilla RNN only (--cell rnn, the IRNN recipe); --cell lstm takes --init default or --init orthogonal"
        ),
        BadInput(["train", "--cell", "gru", "--nonlinearity", "relu"], "--nonlinearity relu applies to the vanilla RNN only (--cell rnn)"),
        BadInput(
            ["train", "--resume", "model.safetensors", "--data", "corpus.txt", "--cell", "gru"],
            "--cell gru differs from the resumed checkpoint's rnn; a resumed run keeps the checkpoint's model"),
        BadInput(
            ["train", "--resume", "gru.safetensors", "--data", "corpus.txt", "--cell", "lstm"],
            "--cell lstm differs from the resumed checkpoint's gru"),
        BadInput(
            ["train", "--resume", "gru.safetensors", "--data", "corpus.txt", "--cell", "rnn", "--nonlinearity", "relu"],
            "--cell rnn differs from the resumed checkpoint's gru"),
        BadInput(
            ["train", "--resume", "gru.safetensors", "--data", "corpus.txt", "--nonlinearity", "relu"],
            "--nonlinearity relu applies to the vanilla RNN only", "the resumed checkpoint 'gru.safetensors' is a GRU"),
        BadInput(
            ["sample", "--checkpoint", "badcell.safetensors"],
            "the checkpoint's 'cell' metadata is 'transformer', expected one of rnn, gru, lstm"),
        BadInput(
            ["eval", "--checkpoint", "lostcell.safetensors", "--data", "corpus.txt"], "tensor 'rnn.weight_ih_l0' has shape [24, ",
            "the shape is that of a gru layer"),
        BadInput(
            ["sample", "--checkpoint", "jsoncell.safetensors"], "the checkpoint's 'configuration' metadata is",
            "expected a character model's configuration as JSON", "transformer"),
        // Option combinations.
        BadInput(["train", "--data", "corpus.txt", "--epochs", "2", "--steps", "3"], "give --epochs or --steps, not both"),
        BadInput(["train", "--data", "corpus.txt", "--keep-best", "--val-fraction", "0"], "--keep-best needs a validation loss"),
        BadInput(["train", "--batch-size", "4"], "--batch-size needs --data FILE", "the built-in example's text is fixed"),
        BadInput(["train", "--val-fraction", "0.1"], "--val-fraction needs --data FILE"),
        BadInput(["train", "--keep-best"], "--keep-best needs --data FILE", "no held-out text"),
        BadInput(["train", "--save-every", "10"], "--save-every needs --checkpoint PATH here"),
        BadInput(["train", "--track-gradients"], "--track-gradients needs --data FILE"),
        BadInput(["train", "--early-stop", "3"], "--early-stop needs --data FILE"),
        BadInput(["train", "--lr-schedule", "cosine"], "--lr-schedule needs --data FILE"),
        BadInput(["train", "--data", "corpus.txt", "--warmup-steps", "5"], "--warmup-steps applies to --lr-schedule cosine, not constant"),
        BadInput(["train", "--data", "corpus.txt", "--lr-schedule", "step"], "--lr-schedule step needs --lr-decay below 1"),
        BadInput(
            ["train", "--data", "corpus.txt", "--lr-schedule", "cosine", "--lr-decay", "0.9"],
            "--lr-decay applies to --lr-schedule step, not cosine"),
        BadInput(
            ["train", "--data", "corpus.txt", "--lr-decay", "0.9", "--lr-decay-after", "2", "--lr-decay-every", "2"],
            "give --lr-decay-after or --lr-decay-every, not both"),
        BadInput(
            ["train", "--data", "corpus.txt", "--lr-schedule", "plateau", "--val-fraction", "0"],
            "--lr-schedule plateau needs a validation loss"),
        BadInput(
            ["train", "--data", "corpus.txt", "--lr-schedule", "plateau", "--plateau-factor", "1"],
            "--plateau-factor must be a finite number > 0"),
        BadInput(["train", "--data", "corpus.txt", "--early-stop", "3", "--val-fraction", "0"], "--early-stop needs a validation loss"),
        BadInput(["train", "--data", "corpus.txt", "--early-stop", "0"], "--early-stop must be between 1 and 10000"),
        BadInput(["train", "--data", "corpus.txt", "--weight-decay", "-1"], "--weight-decay must be a finite number >= 0"),
        // Checkpoints: missing, directory, truncated or corrupt, inconsistent.
        BadInput(["sample", "--checkpoint", "missing.safetensors"], "--checkpoint checkpoint 'missing.safetensors' does not exist"),
        BadInput(["sample", "--checkpoint", "subdir"], "--checkpoint 'subdir' is a directory"),
        BadInput(["sample", "--checkpoint", "truncated.safetensors"], "is not a valid checkpoint", "the file may be truncated"),
        BadInput(["sample", "--checkpoint", "badlength.safetensors"], "is not a valid checkpoint", "header length"),
        BadInput(["sample", "--checkpoint", "notjson.safetensors"], "header is not valid JSON"),
        BadInput(["sample", "--checkpoint", "tiny.safetensors"], "only 3 bytes"),
        BadInput(
            ["sample", "--checkpoint", "offsets.safetensors"], "tensor 'fc.bias' data ends at byte 16 but the data buffer has only 4 bytes"),
        BadInput(["sample", "--checkpoint", "dtype.safetensors"], "tensor 'fc.bias' has dtype F16; only F32 is supported"),
        BadInput(["sample", "--checkpoint", "notcheckpoint.safetensors"], "has no 'vocabulary' metadata"),
        BadInput(
            ["sample", "--checkpoint", "shapes.safetensors"], "tensor 'rnn.weight_ih_l0' has shape [8, ", "should be [9, ", "hidden_size 9"),
        BadInput(["sample", "--checkpoint", "nan.safetensors"], "tensor 'fc.bias' contains NaN or infinite values"),
        BadInput(["eval", "--checkpoint", "truncated.safetensors", "--data", "corpus.txt"], "the file may be truncated"),
        BadInput(["train", "--resume", "notjson.safetensors"], "--resume 'notjson.safetensors' is not a valid checkpoint"),
        BadInput(["train", "--resume", "missing.safetensors"], "--resume checkpoint 'missing.safetensors' does not exist"),
        // Resume with a different vocabulary or model.
        BadInput(
            ["train", "--resume", "model.safetensors", "--data", "other.txt"],
            "'other.txt' has 4 characters that the checkpoint's vocabulary", "'Ж' (U+0416)", "without --resume"),
        BadInput(
            ["train", "--resume", "model.safetensors", "--data", "corpus.txt", "--hidden-size", "99"],
            "--hidden-size 99 differs from the resumed checkpoint's 8"),
        BadInput(["train", "--resume", "model.safetensors"], "does not record which text it was trained on; give it with --data FILE"),
        // Sampling.
        BadInput(
            ["sample", "--checkpoint", "model.safetensors", "--prime", "The Ж"], "--prime has the character 'Ж' (U+0416) at offset 4",
            "--skip-unknown"),
        BadInput(["sample", "--checkpoint", "model.safetensors", "--temperature", "-1"], "--temperature must be a finite number >= 0"),
        BadInput(["sample", "--checkpoint", "model.safetensors", "--temperature", "nan"], "--temperature must be a finite number >= 0"),
        BadInput(["sample", "--checkpoint", "model.safetensors", "--top-k", "0"], "--top-k must be at least 1 (got 0)"),
        BadInput(["sample", "--checkpoint", "model.safetensors", "--length", "-3"], "--length must be between 0 and"),
        BadInput(
            ["sample", "--checkpoint", "model.safetensors", "--prime", "a", "--prime-file", "corpus.txt"],
            "give --prime or --prime-file, not both"),
        BadInput(
            ["sample", "--checkpoint", "model.safetensors", "--prime-file", "missing.txt"], "--prime-file file 'missing.txt' does not exist"
        ),
        BadInput(
            ["sample", "--checkpoint", "model.safetensors", "--prime-file", "latin1.txt"], "--prime-file file 'latin1.txt' is not UTF-8"),
        BadInput(["sample"], "Missing expected argument '--checkpoint <path>'", parserError: true),
        // Evaluation.
        BadInput(
            ["eval", "--checkpoint", "model.safetensors", "--data", "other.txt"], "characters that the checkpoint's vocabulary of",
            "--skip-unknown"),
        BadInput(["eval", "--checkpoint", "model.safetensors", "--data", "one.txt"], "evaluation needs at least 2"),
        BadInput(["eval", "--checkpoint", "model.safetensors", "--data", "empty.txt"], "is empty"),
        BadInput(["eval", "--checkpoint", "model.safetensors", "--data", "subdir"], "is a directory"),
        // Hostile input: no hang on a FIFO or an endless device, no overflow, no NaN printed as a result.
        BadInput(["train", "--data", "fifo"], "--data 'fifo' is a FIFO (named pipe), not a regular file"),
        BadInput(["train", "--data", "/dev/zero"], "--data '/dev/zero' is a character device, not a regular file"),
        BadInput(["eval", "--checkpoint", "model.safetensors", "--data", "fifo"], "--data 'fifo' is a FIFO (named pipe)"),
        BadInput(["sample", "--checkpoint", "fifo"], "'fifo'", "it is a FIFO (named pipe), not a regular file"),
        BadInput(["train", "--resume", "fifo"], "'fifo'", "it is a FIFO (named pipe), not a regular file"),
        BadInput(["sample", "--checkpoint", "model.safetensors", "--prime-file", "fifo"], "--prime-file 'fifo' is a FIFO (named pipe)"),
        BadInput(
            ["sample", "--checkpoint", "model.safetensors", "--prime-file", "/dev/zero"], "--prime-file '/dev/zero' is a character device"),
        BadInput(["train", "--data", "corpus.txt", "--checkpoint", "fifo"], "--checkpoint 'fifo' exists and is not a regular file"),
        BadInput(["train", "--data", "corpus.txt", "--checkpoint", "chardev"], "--checkpoint 'chardev' exists and is not a regular file"),
        BadInput(["train", "--data", "corpus.txt", "--history", "chardev"], "--history 'chardev' exists and is not a regular file"),
        BadInput(["train", "--resume", "fifodata.safetensors", "--steps", "30"], "is a FIFO (named pipe), not a regular file"),
        BadInput(["eval", "--checkpoint", "model.safetensors", "--data", "/dev/urandom"], "--data '/dev/urandom' is a character device"),
        BadInput(["train", "--data", "corpus.txt", "--checkpoint", "/proc/x.safetensors"], "--checkpoint '/proc/x.safetensors'"),
        BadInput(
            ["eval", "--checkpoint", "huge.safetensors", "--data", "corpus.txt"], "the model's loss on 'corpus.txt' is not finite",
            "out of range"),
        BadInput(["sample", "--checkpoint", "huge.safetensors"], "the model's output is not finite", "out of range"),
        BadInput(
            ["train", "--resume", "stepoverflow.safetensors", "--steps", "30"], "'optimizer_step'", "9223372036854775807",
            "0...9007199254740992"),
        BadInput(
            ["train", "--resume", "epochoverflow.safetensors", "--steps", "30"], "'epoch'", "9223372036854775807", "0...9007199254740992"),
        BadInput(["train", "--resume", "epochoverflow.safetensors", "--epochs", "5"], "'epoch'", "0...9007199254740992"),
        BadInput(["sample", "--checkpoint", "duplicate.safetensors"], "the header names 'fc.bias' twice in one object"),
    ]

    @Test(arguments: cases)
    func failsWithAClearMessage(_ input: BadInput) throws {
        let fixture = BadInputFixture.shared
        let r = try ToolProcess.run(input.arguments, in: fixture.dir)
        #expect(r.status != 0, "\(r)")
        #expect(!r.signaled, "crashed: \(r)")
        #expect(r.stdout.isEmpty, "\(r)")
        #expect(r.stderr.hasPrefix("error: "), "\(r)")
        for fragment in input.fragments {
            #expect(r.stderr.contains(fragment), "missing '\(fragment)' in: \(r.stderr)")
        }
        for trace in ["Fatal error", "Stack dump", "Backtrace", "Current stack trace", "Precondition failed"] {
            #expect(!r.stderr.contains(trace), "\(r)")
        }
        let lines = r.stderr.split(separator: "\n")
        if input.parserError {
            #expect(r.status == 64, "\(r)")
        } else {
            #expect(r.status == 1, "\(r)")
            #expect(lines.count == 1, "expected one line: \(r.stderr)")
        }
    }
}
