import ArgumentParser
import Linalg
import RNN

extension Precision: ExpressibleByArgument {}

/// `--precision` of every command that trains or runs a model: the arithmetic of the
/// matrix products.
package struct PrecisionOptions: ParsableArguments {
    @Option(
        name: .customLong("precision"),
        help: ArgumentHelp(
            "Arithmetic of the matrix products: fp32, or bf16 mixed precision (bf16 operands with float accumulation; weights, states, gradients and checkpoints stay float). Where the CPU has AVX-512 BF16 or AMX, training and inference run about 1.3-2x faster, with a loss within about 1e-3 of fp32's; refused elsewhere. Default: the environment variable SWIFT_RNN_PRECISION, else fp32.",
            valueName: "fp32|bf16"))
    package var option: Precision?

    package init() {}

    /// `--precision`, else `SWIFT_RNN_PRECISION` (validated), else fp32.
    package var precision: Precision { option ?? .initial }

    package func validate() throws {
        do { try option?.check() } catch { throw CLIError("--precision bf16: \(error)") }
        if option == nil, let problem = Precision.environmentProblem { throw CLIError(problem + "; unset it or pass --precision") }
    }

    /// Runs `model`'s later products in the chosen precision.
    package func apply(to model: some SequenceModel) throws {
        do { try model.setPrecision(precision) } catch { throw CLIError("--precision bf16: \(error)") }
    }
}
