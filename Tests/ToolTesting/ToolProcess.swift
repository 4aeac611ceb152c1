import Foundation
import Linalg

#if canImport(Glibc)
    import Glibc
#endif

/// Runs one of the package's built executables (`charrnn` by default, or `bench`) and
/// captures what it prints.
///
/// A binary is looked up next to the running test bundle (the products directory of
/// whichever configuration and `--scratch-path` built the tests), then under the
/// package's `.build*` directories; `CHARRNN_BINARY` / `BENCH_BINARY` override both.
public enum ToolProcess {
    public struct Result: CustomStringConvertible {
        public var status: Int32
        public var stdout: String
        public var stderr: String
        /// True when the process ended by a signal (a crash or a kill), not by exit().
        public var signaled: Bool

        public init(status: Int32, stdout: String, stderr: String, signaled: Bool) {
            (self.status, self.stdout, self.stderr, self.signaled) = (status, stdout, stderr, signaled)
        }

        public var description: String {
            func tail(_ s: String) -> String { s.count > 3000 ? "..." + s.suffix(3000) : s }
            return "exit \(status)\(signaled ? " (signal)" : "")\n--- stdout\n\(tail(stdout))--- stderr\n\(tail(stderr))"
        }
    }

    /// The executables the tests run.
    public enum Tool: String, Sendable, CaseIterable {
        case charrnn
        case bench
        case series
        case seq2seq
        /// The programs of `Examples/`.
        case classifier = "example-classifier"
        case generator = "example-generator"
        case reverser = "example-reverser"
        case characterModel = "example-character-model"
        case tagger = "example-tagger"
    }

    public static let charrnn = locate("charrnn")
    public static let bench = locate("bench")

    public static func binary(_ tool: Tool) -> URL {
        switch tool {
        case .charrnn: return charrnn
        case .bench: return bench
        default: return locate(tool.rawValue)
        }
    }

    /// The built executable `name` (see the type's documentation for where it looks).
    public static func locate(_ name: String) -> URL {
        let fm = FileManager.default
        func executable(_ url: URL) -> Bool { fm.isExecutableFile(atPath: url.path) && !url.hasDirectoryPath }
        if let override = ProcessInfo.processInfo.environment[name.uppercased() + "_BINARY"] {
            return URL(fileURLWithPath: override)
        }
        var directories: [URL] = []
        let selfExe = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        directories.append(selfExe.deletingLastPathComponent())
        directories.append(URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent())
        directories.append(Bundle.main.bundleURL)
        directories.append(Bundle.main.bundleURL.deletingLastPathComponent())
        for directory in directories {
            var d = directory
            for _ in 0..<4 {  // e.g. .../release/X.xctest/Contents/MacOS on other layouts
                let candidate = d.appendingPathComponent(name)
                if executable(candidate) { return candidate }
                d = d.deletingLastPathComponent()
            }
        }
        // Fall back to the package's build directories, newest binary first.
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        var found: [(Date, URL)] = []
        for build in (try? fm.contentsOfDirectory(atPath: root.path)) ?? [] where build.hasPrefix(".build") {
            for configuration in ["release", "debug"] {
                let candidate = root.appendingPathComponent(build).appendingPathComponent(configuration).appendingPathComponent(name)
                if executable(candidate),
                    let date = (try? fm.attributesOfItem(atPath: candidate.path))?[.modificationDate] as? Date
                {
                    found.append((date, candidate))
                }
            }
        }
        if let newest = found.max(by: { $0.0 < $1.0 }) { return newest.1 }
        return URL(fileURLWithPath: "/nonexistent/\(name) (build the \(name) product, or set \(name.uppercased())_BINARY)")
    }

    /// Runs `tool arguments` in `directory` and waits for it (at most `timeout` seconds);
    /// `environment` adds to (or overrides) this process's variables.
    public static func run(
        _ arguments: [String], in directory: String? = nil, timeout: Double = 60,
        tool: Tool = .charrnn, environment: [String: String] = [:]
    ) throws -> Result {
        let (process, out, err) = try start(arguments, in: directory, tool: tool, environment: environment)
        return finish(process, out, err, timeout: timeout)
    }

    /// The variables that carry a test's precision scope (`PrecisionScope`) to the tools
    /// it runs: `SWIFT_RNN_PRECISION` when the test holds one.
    public static var scopedEnvironment: [String: String] {
        Precision.scopedInitial.map { ["SWIFT_RNN_PRECISION": $0.rawValue] } ?? [:]
    }

    /// Starts `tool arguments` with stdout and stderr going to temporary files.
    public static func start(
        _ arguments: [String], in directory: String? = nil,
        tool: Tool = .charrnn, environment: [String: String] = [:]
    ) throws -> (Process, URL, URL) {
        let process = Process()
        process.executableURL = binary(tool)
        process.arguments = arguments
        let environment = scopedEnvironment.merging(environment) { $1 }
        if !environment.isEmpty {
            process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        }
        if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
        let tmp = FileManager.default.temporaryDirectory
        let out = tmp.appendingPathComponent("\(tool.rawValue)-out-\(UUID().uuidString)")
        let err = tmp.appendingPathComponent("\(tool.rawValue)-err-\(UUID().uuidString)")
        _ = FileManager.default.createFile(atPath: out.path, contents: nil)
        _ = FileManager.default.createFile(atPath: err.path, contents: nil)
        process.standardOutput = try FileHandle(forWritingTo: out)
        process.standardError = try FileHandle(forWritingTo: err)
        process.standardInput = FileHandle.nullDevice
        try process.run()
        return (process, out, err)
    }

    /// Starts `tool arguments` in `directory`, waits for its first progress line on stderr
    /// (`marker`: charrnn's `"  step "` by default; at most 30 s), sends `signal` `repeats`
    /// times a millisecond apart, and returns how it ended.
    public static func signaledAfterFirstStep(
        _ arguments: [String], _ signal: Int32, repeats: Int = 1,
        in directory: String, tool: Tool = .charrnn, marker: String = "  step "
    ) throws -> Result {
        let (process, out, err) = try start(arguments, in: directory, tool: tool)
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline, process.isRunning,
            !((try? String(contentsOf: err, encoding: .utf8)) ?? "").contains(marker)
        {
            usleep(5_000)
        }
        usleep(50_000)
        for _ in 0..<repeats {
            kill(process.processIdentifier, signal)
            usleep(1_000)
        }
        return finish(process, out, err, timeout: 30)
    }

    /// Waits for `process` (killed after `timeout` seconds) and collects its output.
    public static func finish(_ process: Process, _ out: URL, _ err: URL, timeout: Double = 60) -> Result {
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { usleep(2_000) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
        let stdout = (try? String(contentsOf: out, encoding: .utf8)) ?? ""
        let stderr = (try? String(contentsOf: err, encoding: .utf8)) ?? ""
        try? FileManager.default.removeItem(at: out)
        try? FileManager.default.removeItem(at: err)
        return Result(
            status: process.terminationStatus, stdout: stdout, stderr: stderr,
            signaled: process.terminationReason == .uncaughtSignal)
    }
}

/// A fresh temporary directory, removed after `body`.
public func withTemporaryDirectory<T>(_ body: (String) throws -> T) throws -> T {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("CharRNNTests-\(UUID().uuidString)", isDirectory: true)
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: false)
    defer { try? FileManager.default.removeItem(at: url) }
    return try body(url.path)
}

/// Deterministic English-like text of `words` words (about 5 characters each).
public func generatedText(words: Int, seed: UInt64 = 1) -> String {
    let vocabulary = [
        "the", "cat", "sat", "on", "a", "mat", "and", "dog", "ran", "to", "red", "door",
        "of", "house", "by", "river", "she", "said", "hello", "world", "quick", "brown", "fox",
    ]
    var rng = SeededRandom(seed: seed)
    var out = ""
    for i in 0..<words {
        let word = vocabulary[rng.index(below: vocabulary.count)]
        out += i % 9 == 0 ? word.capitalized : word
        out += i % 9 == 8 ? ".\n" : " "
    }
    return out
}

/// Writes `text` to `directory/name` and returns the path.
@discardableResult
public func write(_ text: String, to name: String, in directory: String) throws -> String {
    let path = directory + "/" + name
    try Data(text.utf8).write(to: URL(fileURLWithPath: path))
    return path
}

public func bytes(_ path: String) throws -> [UInt8] { [UInt8](try Data(contentsOf: URL(fileURLWithPath: path))) }

/// Options for tiny, fast `--data` runs.
public let tinyModel = ["--hidden-size", "16", "--num-layers", "1", "--seq-length", "8", "--batch-size", "4", "--threads", "1"]

/// Adds to the safetensors file at `path` a tensor `name` of F32 elements in `shape` whose
/// data is a hole in a sparse file: the file is valid and its apparent size grows by
/// 4 bytes an element, but it costs no disk (what a reader must not load blindly).
public func addSparseTensor(_ name: String, shape: [Int], to path: String) throws {
    let count = shape.reduce(1, *)
    let file = try bytes(path)
    let headerLength = (0..<8).reduce(0) { $0 | Int(file[$1]) << (8 * $1) }
    var header = String(decoding: file[8..<(8 + headerLength)], as: UTF8.self)
    while header.last == " " { header.removeLast() }
    let data = file[(8 + headerLength)...]
    header.removeLast()  // the closing brace
    header +=
        ",\"\(name)\":{\"dtype\":\"F32\",\"shape\":[\(shape.map(String.init).joined(separator: ","))],\"data_offsets\":[\(data.count),\(data.count + 4 * count)]}}"
    while (8 + header.utf8.count) % 8 != 0 { header += " " }
    let length = header.utf8.count
    let out = (0..<8).map { UInt8(truncatingIfNeeded: length >> (8 * $0)) } + Array(header.utf8) + data
    try Data(out).write(to: URL(fileURLWithPath: path))
    let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
    try handle.truncate(atOffset: UInt64(out.count + 4 * count))
    try handle.close()
}

/// The largest resident set of any child process this process has waited for, in bytes
/// (`getrusage(RUSAGE_CHILDREN)`): a bound on every tool run so far.
public func peakChildResidentBytes() -> Int {
    var usage = rusage()
    getrusage(RUSAGE_CHILDREN.rawValue, &usage)
    return usage.ru_maxrss * 1024
}
