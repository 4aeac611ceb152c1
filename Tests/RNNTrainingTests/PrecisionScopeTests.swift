import Foundation
import Linalg
import RNN
import Testing
import ToolTesting

/// The precision a model starts in: `SWIFT_RNN_PRECISION` (else fp32), which a test's
/// `PrecisionScope` overrides for the models it makes and the tools it runs — what keeps
/// the fp32-reference tests in fp32 when `scripts/test.sh` runs the suite in bf16.
struct PrecisionScopeTests {
    static func newModel() -> ManyToManyModel {
        var rng = SeededRandom(seed: 61)
        return ManyToManyModel(
            .init(inputSize: 5, outputSize: 5, recurrent: .init(cell: .gru, hiddenSize: 8, numLayers: 2)), using: &rng)
    }

    @Test(.precision(.fp32)) func anFP32ScopeMakesFP32Models() {
        let model = Self.newModel()
        #expect(Precision.initial == .fp32 && model.precision == .fp32 && model.fc.precision == .fp32)
        #expect(ToolProcess.scopedEnvironment == ["SWIFT_RNN_PRECISION": "fp32"])
    }

    @Test(.precision(.bf16), .enabled(if: BF16Support.current.isAvailable, "skipped: no avx512_bf16"))
    func aBF16ScopeMakesBF16Models() {
        let model = Self.newModel()
        #expect(model.precision == .bf16 && model.rnn.precision == .bf16 && model.fc.precision == .bf16)
        #expect(ToolProcess.scopedEnvironment == ["SWIFT_RNN_PRECISION": "bf16"])
    }

    /// Outside a scope: what the environment says, or fp32.
    @Test func withoutAScopeTheEnvironmentDecides() {
        let variable = ProcessInfo.processInfo.environment["SWIFT_RNN_PRECISION"]
        let expected: Precision =
            variable.flatMap(Precision.init(rawValue:)).flatMap { (try? $0.check()) == nil ? nil : $0 } ?? .fp32
        #expect(Self.newModel().precision == expected, "SWIFT_RNN_PRECISION=\(variable ?? "(unset)")")
        #expect(ToolProcess.scopedEnvironment.isEmpty)
    }
}
