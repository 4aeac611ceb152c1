import Foundation
import RNN
import _FileIO

/// A model that can be written as ONNX: one graph (`graph` metadata `model`), or the
/// two-graph form deployments use for a model whose state is computed first — the
/// encoder-decoder's `encoder` and `decoder`, the one-to-many model's `initial_state` and
/// `decoder` (`ONNXExportedGraph.role`). Every graph follows one interface
/// (`tokens`/`inputs`, optional `lengths`, `h0`, `c0`; `logits`, `hn`, `cn`: see the
/// ONNX export guide), at opset `ONNXModel.opset`, without dropout.
///
/// ```swift
/// let paths = try ONNXExport.write(model, to: "model.onnx",
///                                  options: .init(metadata: vocabulary.metadata))
/// ```
public protocol ONNXExportable: SequenceModel {
    /// The model's graphs, in the order a runtime runs them.
    /// - Throws: `ONNXExportError.unsupported` for an option the model cannot take.
    /// - Complexity: O(parameters): the weights are copied once into the graphs.
    func onnxModels(_ options: ONNXExportOptions) throws(ONNXExportError) -> [ONNXExportedGraph]
}

/// One graph of an exported model and its role (`model`, `encoder`, `decoder`,
/// `initial_state`), which names its file.
public struct ONNXExportedGraph: Sendable {
    public let role: String
    public let model: ONNXModel

    /// `graph` as a model file of `role`, with the metadata of a model of `configuration`
    /// (`ONNXExport.metadata`).
    init<C: ModelConfiguration>(role: String, graph: ONNXGraph, configuration: C, options: ONNXExportOptions) {
        self.role = role
        model = ONNXModel(graph: graph, metadata: ONNXExport.metadata(configuration, role: role, extra: options.metadata))
    }
}

/// Writing exported models.
public enum ONNXExport {
    /// The file of each role for the path asked for: `path` itself for a one-graph model,
    /// else `path` with `.role` before its extension (`m.onnx` → `m.encoder.onnx`,
    /// `m.decoder.onnx`).
    public static func paths(for path: String, roles: [String]) -> [String] {
        guard roles.count > 1 else { return [path] }
        let url = URL(fileURLWithPath: path)
        let ext = url.pathExtension.isEmpty ? "onnx" : url.pathExtension
        let stem = url.pathExtension.isEmpty ? path : String(path.dropLast(ext.count + 1))
        return roles.map { "\(stem).\($0).\(ext)" }
    }

    /// Exports `model` (`onnxModels`) and writes each graph atomically (a reader never
    /// sees half a file; an existing file is replaced only by a complete one). Returns the
    /// paths written (`paths(for:roles:)`).
    /// - Throws: `ONNXExportError` (nothing is written when the export itself fails).
    @discardableResult
    public static func write<Model: ONNXExportable>(
        _ model: Model, to path: String, options: ONNXExportOptions = .init()
    ) throws(ONNXExportError) -> [String] {
        let graphs = try model.onnxModels(options)
        let paths = paths(for: path, roles: graphs.map(\.role))
        for (graph, path) in zip(graphs, paths) {
            do {
                try AtomicFile.write(graph.model.serialized(), to: path)
            } catch {
                throw .write(error.reason)
            }
        }
        return paths
    }

    /// The metadata of a graph of a model of `configuration`: the caller's `extra`, then
    /// `architecture`, `configuration` (its JSON, as checkpoints store it) and `graph` (the role).
    static func metadata<C: ModelConfiguration>(_ configuration: C, role: String, extra: [String: String]) -> [String: String] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let json = (try? encoder.encode(configuration)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
        return extra.merging(["architecture": C.architecture, "configuration": json, "graph": role]) { $1 }
    }
}
