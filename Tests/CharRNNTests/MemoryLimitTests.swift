import Foundation
import Testing
import ToolTesting

/// Under an address-space limit (`ulimit -v`, in a child shell), what does not fit is
/// refused with a message naming the limit, before it is allocated; what fits trains.
@Suite struct MemoryLimitTests {
    /// Runs charrnn under `ulimit -v kilobytes`.
    private func run(limit kilobytes: Int, _ arguments: [String], in dir: String) throws -> ToolProcess.Result {
        let quoted = ([ToolProcess.binary(.charrnn).path] + arguments).map { "'\($0)'" }.joined(separator: " ")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", "ulimit -v \(kilobytes) && exec \(quoted)"]
        process.currentDirectoryURL = URL(fileURLWithPath: dir)
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let stdout = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        let stderr = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return ToolProcess.Result(
            status: process.terminationStatus, stdout: stdout, stderr: stderr,
            signaled: process.terminationReason == .uncaughtSignal)
    }

    @Test func modelTooLargeForTheAddressSpaceIsRefused() throws {
        try withTemporaryDirectory { dir in
            try write(generatedText(words: 300), to: "c.txt", in: dir)
            func train(hidden: Int) -> [String] {
                [
                    "train", "--data", "c.txt", "--steps", "1", "--hidden-size", "\(hidden)", "--seq-length", "8",
                    "--batch-size", "4", "--threads", "1", "--quiet",
                ]
            }
            let fits = try run(limit: 4 << 20, train(hidden: 8), in: dir)
            #expect(fits.status == 0, "\(fits)")
            let r = try run(limit: 4 << 20, train(hidden: 16384), in: dir)  // inside --hidden-size's range
            #expect(r.status == 1 && !r.signaled, "\(r)")
            #expect(
                r.stderr.hasPrefix("error: this model needs about") && r.stderr.contains("the address-space limit (ulimit -v)"),
                "\(r.stderr)")
        }
    }

    /// Many more threads than processors under the limit: capped with a warning, and the
    /// run finishes (it hung in OpenBLAS's retried allocations before).
    @Test func manyThreadsUnderTheLimitFinish() throws {
        try withTemporaryDirectory { dir in
            try write(generatedText(words: 300), to: "c.txt", in: dir)
            let r = try run(
                limit: 4 << 20,
                [
                    "train", "--data", "c.txt", "--steps", "2", "--hidden-size", "8", "--seq-length", "8",
                    "--batch-size", "4", "--threads", "32", "--quiet",
                ], in: dir)
            #expect(r.status == 0, "\(r)")
            #expect(r.stderr.contains("warning: --threads 32 is more than the"), "\(r.stderr)")
        }
    }

    @Test func corpusTooLargeForTheAddressSpaceIsRefusedUnread() throws {
        try withTemporaryDirectory { dir in
            let path = dir + "/big.txt"
            #expect(FileManager.default.createFile(atPath: path, contents: nil) && truncate(path, 600 << 20) == 0)
            let r = try run(limit: 2 << 20, ["train", "--data", "big.txt", "--steps", "1"], in: dir)
            #expect(r.status == 1 && !r.signaled, "\(r)")
            #expect(
                r.stderr.contains("--data file 'big.txt'") && r.stderr.contains("the address-space limit (ulimit -v)")
                    && r.stderr.contains("use a smaller file"), "\(r.stderr)")
        }
    }
}
