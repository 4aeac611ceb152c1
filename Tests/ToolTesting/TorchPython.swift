import Foundation

/// A Python interpreter that imports the modules a test checks files with, found as
/// `CHARRNN_TORCH_PYTHON`, else `~/.venvs/torch/bin/python` (one virtual environment for
/// every oracle). Tests that need one are enabled only where it imports its modules
/// (`path != nil`), and say why they skip otherwise.
public struct PythonOracle: Sendable {
    /// The interpreter, or nil when it is missing or cannot import the modules.
    public let path: String?
    /// The reason a test that needs it is skipped.
    public let skipReason: String

    /// The oracle that imports `modules` (`import a, b`).
    public init(importing modules: String, skipReason: String) {
        self.skipReason = skipReason
        let path =
            ProcessInfo.processInfo.environment["CHARRNN_TORCH_PYTHON"]
            ?? FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".venvs/torch/bin/python").path
        guard FileManager.default.isExecutableFile(atPath: path) else {
            self.path = nil
            return
        }
        let probe = Process()
        probe.executableURL = URL(fileURLWithPath: path)
        probe.arguments = ["-c", "import \(modules)"]
        probe.standardOutput = FileHandle.nullDevice
        probe.standardError = FileHandle.nullDevice
        guard (try? probe.run()) != nil else {
            self.path = nil
            return
        }
        probe.waitUntilExit()
        self.path = probe.terminationStatus == 0 ? path : nil
    }

    /// Runs `scripts/NAME arguments` in `directory` and returns its exit status and its
    /// standard output and error together.
    /// - Precondition: `path` is not nil.
    public func run(_ name: String, _ arguments: [String], in directory: String) throws -> (status: Int32, output: String) {
        try run(file: TorchPython.script(name), arguments, in: directory)
    }

    /// Runs the Python program `file` with `arguments` in `directory`, as `run(_:_:in:)`.
    public func run(file: String, _ arguments: [String] = [], in directory: String) throws -> (status: Int32, output: String) {
        let python = Process()
        python.executableURL = URL(fileURLWithPath: path!)
        python.arguments = [file] + arguments
        python.currentDirectoryURL = URL(fileURLWithPath: directory)
        let log = FileManager.default.temporaryDirectory.appendingPathComponent("python-\(UUID().uuidString)")
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        defer { try? FileManager.default.removeItem(at: log) }
        let handle = try FileHandle(forWritingTo: log)
        python.standardOutput = handle
        python.standardError = handle
        python.standardInput = FileHandle.nullDevice
        try python.run()
        python.waitUntilExit()
        try handle.close()
        return (python.terminationStatus, (try? String(contentsOf: log, encoding: .utf8)) ?? "")
    }
}

/// The Python with PyTorch and safetensors that checks files against PyTorch.
public enum TorchPython {
    /// The oracle itself, to run scripts with.
    public static let oracle = PythonOracle(
        importing: "torch, safetensors",
        skipReason: "needs PyTorch and safetensors (~/.venvs/torch/bin/python or CHARRNN_TORCH_PYTHON)")

    /// The interpreter, or nil when it is missing or cannot import torch and safetensors.
    public static var path: String? { oracle.path }

    /// The reason a test that needs it is skipped.
    public static var skipReason: String { oracle.skipReason }

    /// The path of `scripts/NAME` in this checkout.
    public static func script(_ name: String) -> String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("scripts/\(name)").path
    }

    /// Runs `scripts/NAME arguments` in `directory` (`PythonOracle.run`).
    /// - Precondition: `path` is not nil.
    public static func run(_ name: String, _ arguments: [String], in directory: String) throws -> (status: Int32, output: String) {
        try oracle.run(name, arguments, in: directory)
    }
}

/// The Python with ONNX and ONNX Runtime that checks exported models
/// (`scripts/onnx_check.py`): in the same virtual environment as PyTorch.
public enum ONNXPython {
    public static let oracle = PythonOracle(
        importing: "onnx, onnxruntime, numpy",
        skipReason:
            "needs onnx and onnxruntime (~/.venvs/torch/bin/pip install onnx onnxruntime, or CHARRNN_TORCH_PYTHON)")
}

/// The Python with scikit-learn that checks the metrics against its implementations.
public enum SklearnPython {
    public static let oracle = PythonOracle(
        importing: "sklearn, numpy",
        skipReason: "needs scikit-learn (~/.venvs/torch/bin/pip install scikit-learn, or CHARRNN_TORCH_PYTHON)")
}
