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
        precondition(threads >= 1, "FMAPeak needs at least one thread, got \(threads)")
        let clock = ContinuousClock()
        // Calibrate the iteration count on one thread.
        var trial = 100_000
        while true {
            let elapsed = clock.measure { _ = srnn_fma_peak_loop(Int32(variant.rawValue), trial) }.seconds
            if elapsed >= seconds / 4 || trial > 1 << 34 {
                trial = max(1, Int(Double(trial) * seconds / max(elapsed, 1e-9)))
                break
            }
            trial *= 4
        }
        let iterations = trial
        let flops = Double(threads) * flopsPerIteration(variant) * Double(iterations)
        var best = 0.0
        for round in 0...repeats {
            let elapsed = clock.measure {
                DispatchQueue.concurrentPerform(iterations: threads) { _ in
                    _ = srnn_fma_peak_loop(Int32(variant.rawValue), iterations)
                }
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
