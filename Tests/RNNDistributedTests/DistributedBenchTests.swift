import Foundation
import Testing
import ToolTesting

/// `mpirun -np 2 bench --distributed` reports each configuration's tokens/s at 1 process
/// x 1 thread, 1 process x 2 workers and 2 ranks, and the scaling efficiency (speed is
/// measured by the bench, not asserted here).
@Suite(.enabled(if: MPIRun.launcher != nil, Comment(rawValue: MPIRun.skipReason ?? "")))
struct DistributedBenchTests {
    @Test func reportsTheScalingTable() throws {
        let run = try MPIRun.run(ranks: 2, "bench", ["--distributed", "--config", "small", "--tokens", "4000", "--epochs", "1"])
        #expect(run.status == 0, "\(run)")
        #expect(
            run.stdout.contains("bench --distributed: 2 ranks x 1 thread against 1 process x 1 thread and 1 process x 2 workers"),
            "\(run)")
        #expect(run.stdout.contains("CPU: "), "\(run)")
        let header = ["1x1 tok/s", "1x2w tok/s", "2r tok/s", "efficiency", "allreduce ms"]
        for column in header { #expect(run.stdout.contains(column), "\(column): \(run.stdout)") }
        let row = try #require(run.stdout.split(separator: "\n").first { $0.hasPrefix("small ") }, "\(run.stdout)")
        #expect(row.contains("%") && row.contains("x"), "\(row)")
        #expect(run.stdout.components(separatedBy: "bench --distributed:").count == 2, "rank 0 alone prints: \(run.stdout)")
    }

    /// Without mpirun it is a clear one-line error.
    @Test func withoutMPIRunIsAClearError() throws {
        let run = try ToolProcess.run(["--distributed", "--config", "small"], tool: .bench)
        #expect(run.status == 1 && run.stderr.contains("error: bench --distributed: this process was not started by mpirun"), "\(run)")
    }
}
