import RNN

/// Why a well-formed safetensors file is not a usable checkpoint.
public enum CheckpointError: Error, Equatable, CustomStringConvertible {
    /// `format` names a different format than the `expected` one.
    case unsupportedFormat(String, expected: String)
    /// `format_version` is newer than the `newest` this code reads.
    case unsupportedVersion(Int, newest: Int)
    /// A required metadata key is absent.
    case missingMetadata(String)
    /// A metadata value cannot be used.
    case invalidMetadata(key: String, value: String, expected: String)
    /// A tensor the metadata calls for is absent.
    case missingTensor(String)
    /// A tensor whose shape disagrees with the metadata.
    case shapeMismatch(tensor: String, shape: [Int], expected: [Int], because: String)
    /// A model or optimizer tensor that the metadata does not call for.
    case unexpectedTensor(String, because: String)
    /// A tensor holding NaN or infinity.
    case nonFiniteValues(tensor: String)
    /// An optimizer name `makeOptimizer(named:learningRate:)` does not know.
    case unknownOptimizer(String)
    /// Optimizer buffers that do not fit the optimizer or the model.
    case optimizerState(String)
    /// Text has characters the checkpoint's vocabulary lacks.
    case vocabularyMismatch(unknown: [Unicode.Scalar], checkpointSize: Int)

    public var description: String {
        switch self {
        case .unsupportedFormat(let f, let expected):
            let readers = [
                Checkpoint.format: "Checkpoint.read (a character model and its vocabulary, as charrnn writes it)",
                "swift-rnn.model": "ModelCheckpoint<Model>.read (any model, without a vocabulary)",
            ]
            return "the file's format is '\(f)', not '\(expected)'; it is not a checkpoint of this kind"
                + (readers[f].map { "; read it with \($0)" } ?? "")
        case .unsupportedVersion(let v, let newest):
            return "the checkpoint has format_version \(v); this program reads up to version \(newest) (update swift-rnn)"
        case .missingMetadata(let key):
            return "the checkpoint has no '\(key)' metadata; it is not a checkpoint of this kind (or is incomplete)"
        case .invalidMetadata(let key, let value, let expected):
            return "the checkpoint's '\(key)' metadata is '\(Self.shorten(value))', expected \(expected)"
        case .missingTensor(let name):
            return "the checkpoint has no tensor '\(name)'; the file is incomplete or its metadata is wrong"
        case .shapeMismatch(let name, let shape, let expected, let because):
            return "tensor '\(name)' has shape \(shape) but should be \(expected): \(because)"
        case .unexpectedTensor(let name, let because):
            return "unexpected tensor '\(name)' in the checkpoint: \(because)"
        case .nonFiniteValues(let name):
            return "tensor '\(name)' contains NaN or infinite values; the checkpoint is corrupt"
        case .unknownOptimizer(let name):
            return
                "unknown optimizer '\(name)' in the checkpoint (known: \(OptimizerKind.allCases.map(\.rawValue).joined(separator: ", ")))"
        case .optimizerState(let detail):
            return "the checkpoint's optimizer state does not fit: \(detail)"
        case .vocabularyMismatch(let unknown, let size):
            let shown = unknown.prefix(10).map { Self.describe($0) }.joined(separator: ", ")
            let more = unknown.count > 10 ? " and \(unknown.count - 10) more" : ""
            return
                "the text has \(unknown.count) character\(unknown.count == 1 ? "" : "s") that the checkpoint's vocabulary of \(size) lacks: \(shown)\(more)"
        }
    }

    /// `'x' (U+0078)`, with control characters escaped.
    package static func describe(_ c: Unicode.Scalar) -> String {
        "'\(c.escaped(asASCII: false))' (U+\(String(c.value, radix: 16, uppercase: true).leftPadded(to: 4)))"
    }

    static func shorten(_ s: String) -> String {
        s.unicodeScalars.count <= 60 ? s : String(String.UnicodeScalarView(s.unicodeScalars.prefix(57))) + "..."
    }
}

extension String {
    fileprivate func leftPadded(to n: Int) -> String {
        count >= n ? self : String(repeating: "0", count: n - count) + self
    }
}
