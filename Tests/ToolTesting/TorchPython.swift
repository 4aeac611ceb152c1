import Foundation

/// The Python with PyTorch and safetensors that checks files against PyTorch:
/// `CHARRNN_TORCH_PYTHON`, else `~/.venvs/torch/bin/python`. Tests that need it are enabled
/// only where it imports both (`TorchPython.path != nil`), and say why they skip otherwise.
public enum TorchPython {
    /// The interpreter, or nil when it is missing or cannot import torch and safetensors.
    public static let path: String? = {
        let path =
            ProcessInfo.processInfo.environment["CHARRNN_TORCH_PYTHON"]
            ?? FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".venvs/torch/bin/python").path
        guard FileManager.default.isExecutableFile(atPath: path) else { return nil }
        let probe = Process()
        probe.executableURL = URL(fileURLWithPath: path)
        probe.arguments = ["-c", "import torch, safetensors"]
        probe.standardOutput = FileHandle.nullDevice
        probe.standardError = FileHandle.nullDevice
        guard (try? probe.run()) != nil else { return nil }
        probe.waitUntilExit()
        return probe.terminationStatus == 0 ? path : nil
    }()

    /// The reason a test that needs it is skipped.
    public static let skipReason = "needs PyTorch and safetensors (~/.venvs/torch/bin/python or CHARRNN_TORCH_PYTHON)"

    /// The path of `scripts/NAME` in this checkout.
    public static func script(_ name: String) -> String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("scripts/\(name)").path
    }

    /// Runs `scripts/NAME arguments` in `directory` and returns its exit status and its
    /// standard output and error together.
    /// - Precondition: `path` is not nil.
    public static func run(_ name: String, _ arguments: [String], in directory: String) throws -> (status: Int32, output: String) {
        let python = Process()
        python.executableURL = URL(fileURLWithPath: path!)
        python.arguments = [script(name)] + arguments
        python.currentDirectoryURL = URL(fileURLWithPath: directory)
        let log = FileManager.default.temporaryDirectory.appendingPathComponent("torch-\(UUID().uuidString)")
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
