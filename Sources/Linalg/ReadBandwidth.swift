import _RNNKernels

/// Where `ReadBandwidth` leaves its sums, so that the compiler keeps the reads.
nonisolated(unsafe) private var readSink: Float = 0

/// The measured speed of reading a buffer again and again — the bound of a step that
/// reads its weights once, such as one sequence's inference step.
package enum ReadBandwidth {
    /// Bytes per second that each of `threads` threads reads, all at once, each from its
    /// own buffer of `bytes` (so a buffer that fits a core's cache is read from there, as
    /// a thread's share of the weights is between steps): the best of 5 rounds of about
    /// 200 MB per thread, in the best kernel variant's vector loads.
    /// - Complexity: about 1 GB read per thread.
    package static func measure(bytes: Int, threads: Int = 1) -> Double {
        precondition(threads >= 1, "ReadBandwidth needs at least one thread, got \(threads)")
        let count = max(bytes / 4, 1024)
        let buffers = (0..<threads).map { _ in UnsafeMutablePointer<Float>.allocate(capacity: count) }
        defer { for b in buffers { b.deallocate() } }
        for b in buffers { for i in 0..<count { b[i] = Float(i % 7) * 1e-3 } }
        let passes = max(1, 200_000_000 / (count * 4))
        let team = WorkerTeam(size: threads)
        let sums = UnsafeMutablePointer<Float>.allocate(capacity: threads)
        defer { sums.deallocate() }
        sums.initialize(repeating: 0, count: threads)
        var best = Double.infinity
        let clock = ContinuousClock()
        for _ in 0..<5 {
            let elapsed = clock.measure {
                team.run { rank in
                    var s: Float = 0
                    for _ in 0..<passes { s += srnn_read_sum(buffers[rank], count) }
                    sums[rank] += s
                }
            }
            best = min(best, elapsed.seconds)
        }
        readSink += (0..<threads).reduce(0) { $0 + sums[$1] }
        return Double(passes * count * 4) / best
    }
}
