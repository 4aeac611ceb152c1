import Foundation
import Testing
import ToolTesting

/// A large text costs about its size in memory (one byte per character token, shared by
/// training and validation), not several times it: the resident peak of `charrnn train`
/// on a generated 100 MB text, above that of a tiny run, stays under 1.5x the file.
/// (Memory is counted, not time: the suite asserts no timing.)
@Suite struct CorpusSizeTests {
    /// Runs charrnn with `arguments` (absolute paths) and returns its exit status and peak
    /// resident memory in bytes: the child's `VmHWM` (its own address space's high-water
    /// mark, from `/proc/<pid>/status`), read every 5 ms until it exits. (`wait4`'s
    /// `ru_maxrss` would not do: after a spawn it includes this process's own peak.)
    private func peakResident(_ arguments: [String]) -> (status: Int32, bytes: Int) {
        let path = ToolProcess.binary(.charrnn).path
        let argv = ([path] + arguments).map { strdup($0) } + [nil]
        defer { for p in argv { free(p) } }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        var pid: pid_t = 0
        guard posix_spawn(&pid, path, &actions, nil, argv, environ) == 0 else { return (-1, 0) }
        var status: Int32 = 0
        var peak = 0
        while true {
            if let text = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
                let line = text.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
                let kilobytes = Int(line.split(separator: " ").dropFirst().first ?? "")
            {
                peak = max(peak, kilobytes * 1024)
            }
            let waited = waitpid(pid, &status, WNOHANG)
            if waited == pid { break }
            if waited < 0 && errno != EINTR { return (-1, peak) }
            usleep(5_000)
        }
        return (status, peak)
    }

    @Test func aLargeTextCostsAboutItsSize() throws {
        try withTemporaryDirectory { dir in
            // 100 MB of English-like words (one block repeated: a realistic vocabulary).
            let block = Data(generatedText(words: 20_000, seed: 3).utf8)
            let big = dir + "/big.txt"
            #expect(FileManager.default.createFile(atPath: big, contents: nil))
            let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: big))
            var written = 0
            while written < 100_000_000 { handle.write(block); written += block.count }
            try handle.close()
            let small = try write(generatedText(words: 400, seed: 3), to: "small.txt", in: dir)
            // Validation off keeps the one-step run short (a 5 MB validation pass is slow);
            // the split itself is a view either way.
            let options = [
                "--steps", "1", "--val-fraction", "0", "--threads", "1", "--hidden-size", "32", "--seq-length", "8",
                "--batch-size", "4", "--quiet",
            ]
            let tiny = peakResident(["train", "--data", small, "--checkpoint", dir + "/small.safetensors"] + options)
            let large = peakResident(["train", "--data", big, "--checkpoint", dir + "/big.safetensors"] + options)
            #expect(tiny.status == 0 && large.status == 0, "exit \(tiny.status), \(large.status)")
            let extra = Double(large.bytes - tiny.bytes)
            #expect(extra <= 1.5 * Double(written), "\(Int(extra / 1e6)) MB above a tiny run for a \(written / 1_000_000) MB text")
            #expect(extra >= 0.5 * Double(written), "the text's tokens must be in memory: \(Int(extra / 1e6)) MB")
        }
    }
}
