import CDNNL
import Glibc
import Synchronization

/// The library that runs `BLAS.gemm` (and so every `Matrix.gemm` and the GEMMs of the
/// recurrent layers): OpenBLAS's `cblas_sgemm` or oneDNN's `dnnl_sgemm`.
///
/// Both compute the same products up to float rounding (the order of the k-sums differs).
/// What differs is speed: OpenBLAS 0.3.21 (Debian) runs its Haswell (AVX2) kernels on an
/// AVX-512 CPU where the environment sets `OPENBLAS_CORETYPE=Haswell`, while oneDNN's JIT
/// uses AVX-512 and runs the recurrent layers' shapes faster (docs/performance.md); on an
/// AVX2 CPU the two are level. `.automatic` therefore
/// picks oneDNN exactly when oneDNN dispatches AVX-512 code (`dnnl_get_effective_cpu_isa`
/// is AVX-512 core or above, which `DNNL_MAX_CPU_ISA=AVX2` lowers) and OpenBLAS otherwise,
/// so that a CPU without AVX-512 runs as before. A rule from the ISA, not a timing at
/// start-up: the choice is the same in every run on the same machine.
///
/// ```swift
/// GEMM.backend                       // .oneDNN on an AVX-512 CPU, else .openBLAS
/// GEMM.select(.openBLAS)             // every later GEMM of the process
/// ```
/// LAPACK and the level-1/level-2 routines (`BLAS.gemv`, `axpy`, ...) stay on OpenBLAS.
public enum GEMMBackend: String, CaseIterable, Sendable {
    case openBLAS = "openblas"
    case oneDNN = "onednn"
    /// oneDNN where it runs AVX-512 code, OpenBLAS elsewhere (see the type's notes).
    case automatic = "auto"

    /// "OpenBLAS" or "oneDNN" ("auto" for `.automatic`).
    package var displayName: String {
        switch self {
        case .openBLAS: return "OpenBLAS"
        case .oneDNN: return "oneDNN"
        case .automatic: return "auto"
        }
    }
}

/// The process's GEMM backend: read from the environment variable `SWIFT_RNN_GEMM`
/// (`openblas`, `onednn` or `auto`; unset means `auto`) at the first GEMM, changed by
/// `select(_:)`.
public enum GEMM {
    /// The backend in use, never `.automatic` (that is resolved to one of the two).
    public static var backend: GEMMBackend { selected.load(ordering: .relaxed) == 1 ? .oneDNN : .openBLAS }

    /// What `.automatic` resolves to on this machine, and why.
    public static var automaticChoice: (backend: GEMMBackend, reason: String) {
        let isa = dnnl_get_effective_cpu_isa().rawValue
        let avx512 = dnnl_cpu_isa_avx512_core.rawValue
        if isa & avx512 == avx512 {
            return (.oneDNN, "oneDNN runs AVX-512 code on this CPU; OpenBLAS's kernels here are AVX2")
        }
        return (
            .openBLAS,
            "oneDNN would run \(isa & dnnl_cpu_isa_avx2.rawValue == dnnl_cpu_isa_avx2.rawValue ? "AVX2" : "pre-AVX2") code on this CPU, where OpenBLAS is as fast"
        )
    }

    /// Makes `choice` (`.automatic`: `automaticChoice`) the backend of every later GEMM in
    /// the process, and applies the calling thread's `ComputeThreads.count` to it.
    public static func select(_ choice: GEMMBackend) {
        let count = ComputeThreads.count
        selected.store(resolve(choice) == .oneDNN ? 1 : 0, ordering: .relaxed)
        ComputeThreads.count = count
    }

    /// The backend `SWIFT_RNN_GEMM` asks for, `.automatic` when unset or empty; throws
    /// `GEMMBackendError` when it names none.
    public static func environmentChoice() throws(GEMMBackendError) -> GEMMBackend {
        guard let raw = getenv("SWIFT_RNN_GEMM"), raw.pointee != 0 else { return .automatic }
        let value = String(cString: raw)
        guard let choice = GEMMBackend(rawValue: value.lowercased()) else {
            throw GEMMBackendError(value: value, source: "SWIFT_RNN_GEMM")
        }
        return choice
    }

    /// The backend a command-line `option` asks for, else `SWIFT_RNN_GEMM`'s (`.automatic`
    /// when unset); throws `GEMMBackendError` for an invalid environment value when there
    /// is no option.
    package static func choice(option: GEMMBackend?) throws(GEMMBackendError) -> GEMMBackend {
        if let option { return option }
        return try environmentChoice()
    }

    static func resolve(_ choice: GEMMBackend) -> GEMMBackend {
        choice == .automatic ? automaticChoice.backend : choice
    }

    /// 0 OpenBLAS, 1 oneDNN; from the environment at first use (an invalid value means
    /// `.automatic` here; the command-line tools report it as an error first).
    private static let selected = Atomic<Int>(resolve((try? environmentChoice()) ?? .automatic) == .oneDNN ? 1 : 0)
}

/// A GEMM backend name that is none of `openblas`, `onednn`, `auto`.
public struct GEMMBackendError: Error, CustomStringConvertible {
    public var value: String
    /// Where it came from: "SWIFT_RNN_GEMM" or an option name.
    public var source: String
    public var description: String {
        "\(source) must be one of \(GEMMBackend.allCases.map(\.rawValue).joined(separator: ", ")) (got '\(value)')"
    }
}
