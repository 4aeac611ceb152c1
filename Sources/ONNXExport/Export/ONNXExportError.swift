/// Why a model could not be exported, or an ONNX file read back: one sentence each, to
/// print after `error:`.
public enum ONNXExportError: Error, Equatable, CustomStringConvertible {
    /// The model or an option is something ONNX (or this exporter) cannot express.
    case unsupported(String)
    /// A file is not a well-formed ONNX model of the fields this module writes.
    case malformed(String)
    /// The file could not be written (the system's reason, naming the file); nothing was
    /// replaced.
    case write(String)

    public var description: String {
        switch self {
        case .unsupported(let reason): return "cannot export to ONNX: \(reason)"
        case .malformed(let reason): return "not a readable ONNX model: \(reason)"
        case .write(let reason): return reason
        }
    }
}
