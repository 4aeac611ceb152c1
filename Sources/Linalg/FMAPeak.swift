import Dispatch
import _RNNKernels

/// The processor's measured floating-point peak: independent fused multiply-adds in the
/// widest registers a kernel variant has (AVX-512: 16 lanes), with no memory traffic, on
/// `threads` threads at once. No GEMM can exceed it; the benchmark reports every rate
/// as a percentage of it, beside each GEMM backend's own peak.
package enum FMAPeak {
    /// GFLOP/s of `threads` threads each running the FMA loop of `variant` (default: the
    /// best the processor supports): the best of `repeats` rounds of about `seconds` each,
    /// after one untimed round.
    /// - Complexity: about `(repeats + 1) · seconds` of wall time.
    package static func measure(
        threads: Int, variant: KernelVariant = .bestSupported, repeats: Int = 3,
        seconds: Double = 0.05
    ) -> Double {
        measureLoop(threads: threads, repeats: repeats, seconds: seconds) { srnn_fma_peak_loop(Int32(variant.rawValue), $0) }
    }

    /// GFLOP/s of `threads` threads each running independent bf16 dot products
    /// (`vdpbf16ps`, 4 flops a float lane), as `measure` times the FMA loop: the peak a
    /// bf16 GEMM could reach on an AVX-512 BF16 core. 0 where the processor lacks them.
    /// - Complexity: about `(repeats + 1) · seconds` of wall time.
    package static func measureBF16(threads: Int, repeats: Int = 3, seconds: Double = 0.05) -> Double {
        guard BF16Support.current.hasDotProduct else { return 0 }
        // The unit runs at about 60% of its rate for its first ~0.1 s of work (measured on a
        // Zen 4: 154 against 233 GFLOP/s), so every thread warms it up first.
        let clock = ContinuousClock(), start = clock.now
        DispatchQueue.concurrentPerform(iterations: threads) { _ in
            while clock.now - start < .milliseconds(300) { _ = srnn_bf16_dot_peak_loop(100_000) }
        }
        return measureLoop(threads: threads, repeats: repeats, seconds: seconds) { srnn_bf16_dot_peak_loop($0) }
    }

    /// The best of `repeats` timed rounds (after one untimed) of `threads` threads each
    /// running `loop(iterations)`, which returns the flops it did; the iteration count is
    /// calibrated on one thread to take about `seconds`.
    private static func measureLoop(
        threads: Int, repeats: Int, seconds: Double, loop: @escaping @Sendable (Int) -> Double
    ) -> Double {
        precondition(threads >= 1, "FMAPeak needs at least one thread, got \(threads)")
        let clock = ContinuousClock()
        var trial = 100_000
        while true {
            let elapsed = clock.measure { _ = loop(trial) }.seconds
            if elapsed >= seconds / 4 || trial > 1 << 34 {
                trial = max(1, Int(Double(trial) * seconds / max(elapsed, 1e-9)))
                break
            }
            trial *= 4
        }
        let iterations = trial
        let flops = Double(threads) * loop(1) * Double(iterations)
        var best = 0.0
        for round in 0...repeats {
            let elapsed = clock.measure {
                DispatchQueue.concurrentPerform(iterations: threads) { _ in _ = loop(iterations) }
            }.seconds
            if round > 0 { best = max(best, flops / elapsed / 1e9) }
        }
        return best
    }

    /// Floating-point operations of one iteration of `variant`'s loop.
    static func flopsPerIteration(_ variant: KernelVariant) -> Double {
        srnn_fma_peak_loop(Int32(variant.rawValue), 1)
    }
}
