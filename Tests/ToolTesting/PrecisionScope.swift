import Linalg
import Testing

/// A test trait that makes the models a test creates start in `precision` whatever
/// `SWIFT_RNN_PRECISION` says, and passes it to the tools the test runs
/// (`ToolProcess`): for the tests whose references are fp32 (finite differences, PyTorch,
/// fixtures, one process against a split), when `scripts/test.sh` runs the suite in bf16.
public struct PrecisionScope: TestTrait, SuiteTrait, TestScoping {
    public let precision: Precision

    public var isRecursive: Bool { true }

    public func provideScope(for test: Test, testCase: Test.Case?, performing function: () async throws -> Void) async throws {
        try await Precision.$scopedInitial.withValue(precision) { try await function() }
    }
}

extension Trait where Self == PrecisionScope {
    /// Models start in `precision` in the test (or each test of the suite).
    public static func precision(_ precision: Precision) -> Self { PrecisionScope(precision: precision) }
}
