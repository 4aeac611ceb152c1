import ONNXExport

/// The `export` verb's files, shared by the tools: each graph's path (`ONNXExport.paths`),
/// every path checked before any is written (and none may be the checkpoint itself), each
/// written atomically, and the lines that say what was written.
package enum ONNXFiles {
    /// Writes `graphs` for `--onnx onnx`, exported from `checkpoint`; returns one
    /// `wrote`/`inputs`/`outputs` group of lines per file and the bytes written.
    package static func write(
        _ graphs: [ONNXExportedGraph], to onnx: String, checkpoint: String
    ) throws -> (lines: [String], bytes: Int) {
        let paths = ONNXExport.paths(for: onnx, roles: graphs.map(\.role))
        for path in paths {
            try OutputPath.checkWritable(path, option: "--onnx")
            if OutputPath.canonical(path) == OutputPath.canonical(checkpoint) {
                throw CLIError("--onnx '\(path)' is the checkpoint itself; give another file (model.onnx, say)")
            }
        }
        var lines: [String] = [], bytes = 0
        for (graph, path) in zip(graphs, paths) {
            let data = graph.model.serialized()
            bytes += data.count
            try OutputPath.write(data, to: path, option: "--onnx")
            lines += [
                "wrote       \(path)\(graphs.count > 1 ? " (\(graph.role))" : ""): ONNX opset \(graph.model.opset)",
                "  inputs    \(graph.model.graph.inputSummary)",
                "  outputs   \(graph.model.graph.outputSummary)",
            ]
        }
        return (lines, bytes)
    }
}
