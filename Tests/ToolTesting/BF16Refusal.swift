import Foundation
import Testing

/// Where the CPU has no bf16 hardware: each of `commands`, run with `--precision bf16`, exits
/// non-zero with the reason on standard error, and nothing was written at `output`.
public func expectBF16Refused(
    _ commands: [[String]], output: String, sourceLocation: SourceLocation = #_sourceLocation,
    run: ([String]) throws -> ToolProcess.Result
) throws {
    for command in commands {
        let r = try run(command + ["--precision", "bf16"])
        #expect(
            r.status != 0 && r.stderr.contains("--precision bf16: bf16 needs a CPU with AVX-512 BF16"), "\(r)",
            sourceLocation: sourceLocation)
    }
    #expect(!FileManager.default.fileExists(atPath: output), "\(output) was written", sourceLocation: sourceLocation)
}
