import Foundation
import Testing
import ToolTesting

/// N ranks under mpirun compute what one process computes on the whole batch:
/// `distributed-check` (Tests/DistributedCheck) has every rank compute the one-process
/// oracle too, and prints the largest differences.
@Suite(.enabled(if: MPIRun.launcher != nil, Comment(rawValue: MPIRun.skipReason ?? "")))
struct GradientEqualityTests {
    /// The values `distributed-check` printed after `key`.
    static func values(_ key: String, in stdout: String) -> [Double] {
        guard let line = stdout.split(separator: "\n").first(where: { $0.hasPrefix(key + " ") }) else { return [] }
        return line.split(separator: " ").dropFirst().compactMap { Double($0) }
    }

    /// One step's gradients equal the one-process whole-batch gradients within 1e-6 of the
    /// largest gradient (measured: 2e-7; float sums in another order), and 20 steps of
    /// truncated BPTT with clipping and Adam give the same losses within 1e-6 (measured
    /// 1e-8) and weights within 1e-4 (measured 2e-6): at 2 and 4 ranks, with 1 and 2
    /// worker threads per rank, a GRU over uneven shares (7 streams on 3 ranks), and over
    /// the loopback TCP transport, as between machines.
    @Test(
        .precision(.fp32),
        arguments: [
            (2, 1, "lstm", 8, false), (4, 1, "lstm", 8, false), (2, 2, "lstm", 64, false),
            (3, 1, "gru", 7, false), (2, 1, "rnn", 8, true),
        ])
    func distributedStepsEqualOneProcess(ranks: Int, workers: Int, cell: String, batchSize: Int, tcp: Bool) throws {
        let mca = tcp ? ["--mca", "btl", "self,tcp", "--mca", "btl_tcp_if_include", "lo"] : []
        let run = try MPIRun.run(
            ranks: ranks, "distributed-check",
            ["--workers", String(workers), "--cell", cell, "--batch-size", String(batchSize), "--steps", "20"],
            mca: mca)
        #expect(run.status == 0, "\(run)")
        #expect(run.stdout.contains("ranks \(ranks) workers \(workers) cell \(cell) batch \(batchSize)"), "\(run)")
        let gradient = Self.values("gradient", in: run.stdout), losses = Self.values("losses", in: run.stdout)
        let weights = Self.values("weights", in: run.stdout)
        try #require(gradient.count == 2 && losses.count >= 2 && weights.count == 1, "\(run)")
        #expect(gradient[1] > 1e-3, "the gradient is not trivially zero: \(gradient)")
        #expect(gradient[0] <= 1e-6 * gradient[1], "gradient difference \(gradient[0]) against max |g| \(gradient[1])")
        #expect(losses[1] == 20, "20 steps: \(losses)")
        #expect(losses[0] <= 1e-6, "loss difference \(losses[0])")
        #expect(weights[0] <= 1e-4, "weight difference \(weights[0])")
    }
}
