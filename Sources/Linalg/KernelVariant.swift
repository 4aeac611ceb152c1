import _RNNKernels

/// The compiled variants of the C kernels behind `Vector`'s buffer functions and the
/// recurrent layers' gate math, softmax cross-entropy and Adam update: the x86-64
/// baseline (SSE2, 4 lanes), AVX2 + FMA (8 lanes) and AVX-512 (16 lanes). The most
/// capable one the processor and the OS support is chosen at the first call, unless the
/// environment variable `SWIFT_RNN_KERNELS` (`baseline`, `avx2`, `avx512`) asks for
/// another that is supported (to test, on one machine, what a smaller CPU runs).
///
/// The variants run the same algorithms; they differ by the rounding of fused
/// multiply-adds (none in the baseline), within the error bounds `Vector` states.
public enum KernelVariant: Int, CaseIterable, Comparable, Sendable {
    case baseline = 0
    case avx2 = 1
    case avx512 = 2

    /// The variant in use.
    public static var current: KernelVariant { KernelVariant(rawValue: Int(srnn_kernels_variant())) ?? .baseline }

    /// The most capable variant this processor and OS support.
    public static var bestSupported: KernelVariant {
        KernelVariant(rawValue: Int(srnn_kernels_best_supported())) ?? .baseline
    }

    /// Every variant this processor can run, from the baseline up.
    public static var supported: [KernelVariant] { allCases.filter { $0 <= bestSupported } }

    /// The name `SWIFT_RNN_KERNELS` takes: "baseline", "avx2", "avx512".
    public var name: String {
        switch self {
        case .baseline: return "baseline"
        case .avx2: return "avx2"
        case .avx512: return "avx512"
        }
    }

    /// "x86-64 baseline (SSE2)", "AVX2+FMA", "AVX-512".
    package var displayName: String {
        switch self {
        case .baseline: return "x86-64 baseline (SSE2)"
        case .avx2: return "AVX2+FMA"
        case .avx512: return "AVX-512"
        }
    }

    /// What is wrong with `SWIFT_RNN_KERNELS`, or nil when it is unset or names a variant
    /// this processor runs (the command-line tools stop with this message).
    package static var environmentProblem: String? {
        let requested = Int(srnn_kernels_requested())
        if requested == -2 {
            return "SWIFT_RNN_KERNELS must be one of \(allCases.map(\.name).joined(separator: ", ")) or unset"
        }
        if let variant = KernelVariant(rawValue: requested), variant > bestSupported {
            return "SWIFT_RNN_KERNELS=\(variant.name) asks for a variant this CPU cannot run; it supports "
                + supported.map(\.name).joined(separator: ", ")
        }
        return nil
    }

    public static func < (a: KernelVariant, b: KernelVariant) -> Bool { a.rawValue < b.rawValue }
}
