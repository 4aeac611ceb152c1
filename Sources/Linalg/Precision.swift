import CDNNL
import Glibc
import _RNNKernels

/// The arithmetic of the matrix products: `fp32` (the default) or `bf16` mixed precision —
/// bf16 GEMM inputs with float accumulation and float results (`BLAS.gemmBF16`), on CPUs
/// with bf16 dot products (AVX-512 BF16: Zen 4, Zen 5, Cooper Lake and later Xeons) or
/// AMX tiles (Sapphire Rapids and later). Elsewhere oneDNN would emulate bf16 more slowly
/// than fp32, so `check()` refuses it.
public enum Precision: String, CaseIterable, Codable, Sendable {
    case fp32
    case bf16

    /// Throws unless this machine runs the precision in hardware: `fp32` always; `bf16`
    /// where oneDNN dispatches AVX-512 BF16 or AMX code (`BF16Support.current`).
    public func check() throws(PrecisionError) {
        guard self == .bf16 else { return }
        let support = BF16Support.current
        guard support.isAvailable else { throw PrecisionError(reason: support.description) }
    }
}

/// Why a precision cannot run here.
public struct PrecisionError: Error, Equatable, CustomStringConvertible {
    /// What the CPU (or oneDNN) lacks.
    public let reason: String
    public var description: String { "bf16 needs a CPU with AVX-512 BF16 or AMX: \(reason); use fp32" }
}

/// What the bf16 GEMM runs on this machine: oneDNN's effective ISA (which
/// `DNNL_MAX_CPU_ISA` may hold back), and whether the core has the bf16 dot-product
/// instruction the peak loop times.
public struct BF16Support: Equatable, Sendable {
    /// `avx512_core_amx`, `avx512_core_bf16`, or what oneDNN would use instead.
    public let isa: String
    /// Whether oneDNN runs bf16 products in hardware (AVX-512 BF16 or AMX).
    public let isAvailable: Bool
    /// Whether the processor has `vdpbf16ps` (CPUID AVX512_BF16).
    public let hasDotProduct: Bool

    /// This machine's.
    public static var current: BF16Support {
        let isa = dnnl_get_effective_cpu_isa().rawValue
        func has(_ wanted: dnnl_cpu_isa_t) -> Bool { isa & wanted.rawValue == wanted.rawValue }
        let name =
            has(dnnl_cpu_isa_avx512_core_amx)
            ? "avx512_core_amx"
            : has(dnnl_cpu_isa_avx512_core_bf16)
                ? "avx512_core_bf16"
                : has(dnnl_cpu_isa_avx512_core) ? "avx512_core" : has(dnnl_cpu_isa_avx2) ? "avx2" : "pre-avx2"
        return BF16Support(
            isa: name, isAvailable: has(dnnl_cpu_isa_avx512_core_bf16),
            hasDotProduct: srnn_cpu_has_avx512_bf16() != 0)
    }

    /// "oneDNN runs avx512_core_bf16 code here", or what is missing.
    public var description: String {
        isAvailable
            ? "oneDNN runs \(isa) code here"
            : "oneDNN runs \(isa) code here (no AVX-512 BF16\(hasDotProduct ? ", held back by DNNL_MAX_CPU_ISA" : ""))"
    }
}

extension Precision {
    /// The precision models and layers start in: `SWIFT_RNN_PRECISION` (`fp32` or `bf16`)
    /// when it names one this machine runs, else `fp32`. It lets a program — or the test
    /// suite, as `scripts/test.sh` runs it once — go through bf16 without a change; the
    /// command-line tools refuse a value it cannot take (`environmentProblem`).
    public static var initial: Precision {
        if let scoped = scopedInitial { return scoped }
        guard let requested = environmentValue.flatMap(Precision.init(rawValue:)),
            (try? requested.check()) != nil
        else { return .fp32 }
        return requested
    }

    /// What is wrong with `SWIFT_RNN_PRECISION`, or nil when it is unset or names a
    /// precision this machine runs.
    package static var environmentProblem: String? {
        guard let value = environmentValue, !value.isEmpty else { return nil }
        guard let requested = Precision(rawValue: value) else {
            return "SWIFT_RNN_PRECISION must be fp32 or bf16 or unset, got '\(value)'"
        }
        do { try requested.check() } catch { return "SWIFT_RNN_PRECISION=bf16: \(error)" }
        return nil
    }

    /// Overrides `SWIFT_RNN_PRECISION` for the models made in a task's scope: the tests
    /// that compare against fp32 references (finite differences, PyTorch, fixtures) hold
    /// fp32 with it while the suite runs once in bf16.
    @TaskLocal package static var scopedInitial: Precision?

    private static var environmentValue: String? { getenv("SWIFT_RNN_PRECISION").map { String(cString: $0) } }
}
