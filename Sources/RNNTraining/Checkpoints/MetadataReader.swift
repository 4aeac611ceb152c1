import Foundation
import Linalg

/// Typed access to checkpoint metadata with precise errors (shared by the model
/// configurations here and the checkpoint formats of RNNTraining).
package struct MetadataReader {
    package init(metadata: [String: String]) { self.metadata = metadata }

    package let metadata: [String: String]

    package func string(_ key: String) throws(CheckpointError) -> String {
        guard let value = metadata[key] else { throw .missingMetadata(key) }
        return value
    }

    package func integer(_ key: String, in range: ClosedRange<Int>) throws(CheckpointError) -> Int {
        let text = try string(key)
        guard let value = Int(text), range.contains(value) else {
            let bound =
                range.upperBound == Int.max
                ? "an integer >= \(range.lowerBound)" : "an integer in \(range.lowerBound)...\(range.upperBound)"
            throw .invalidMetadata(key: key, value: text, expected: bound)
        }
        return value
    }

    /// A "true" or "false" value; false when the key is absent.
    package func flag(_ key: String) throws(CheckpointError) -> Bool {
        guard let text = metadata[key] else { return false }
        guard text == "true" || text == "false" else { throw .invalidMetadata(key: key, value: text, expected: "true or false") }
        return text == "true"
    }

    package func float(_ key: String) throws(CheckpointError) -> Float {
        let text = try string(key)
        guard let value = Float(text), value.isFinite, value >= 0 else {
            throw .invalidMetadata(key: key, value: text, expected: "a finite non-negative number")
        }
        return value
    }

    package func enumeration<E: RawRepresentable & CaseIterable>(_ key: String, _ type: E.Type) throws(CheckpointError) -> E
    where E.RawValue == String {
        let text = try string(key)
        guard let value = E(rawValue: text) else {
            throw .invalidMetadata(key: key, value: text, expected: "one of " + E.allCases.map(\.rawValue).joined(separator: ", "))
        }
        return value
    }

    /// The JSON value under `key`, decoded as `type`; `what` names it in the error.
    package func json<T: Decodable>(_ key: String, _ type: T.Type, what: String) throws(CheckpointError) -> T {
        let text = try string(key)
        do {
            let decoder = JSONDecoder()
            let strings = CheckpointCodec.nonFiniteStrings
            decoder.nonConformingFloatDecodingStrategy = .convertFromString(
                positiveInfinity: strings.positiveInfinity, negativeInfinity: strings.negativeInfinity, nan: strings.nan)
            return try decoder.decode(T.self, from: Data(text.utf8))
        } catch {
            throw .invalidMetadata(key: key, value: text, expected: "\(what) as JSON (\(Self.reason(error)))")
        }
    }

    /// A decoding error in one line: what was wrong, and where.
    private static func reason(_ error: Error) -> String {
        guard let error = error as? DecodingError else { return "\(error)" }
        func path(_ context: DecodingError.Context) -> String {
            let keys = context.codingPath.map { $0.intValue.map(String.init) ?? $0.stringValue }
            return keys.isEmpty ? "" : " at \(keys.joined(separator: "."))"
        }
        switch error {
        case .keyNotFound(let key, let c): return "no '\(key.stringValue)'\(path(c))"
        case .typeMismatch(_, let c), .valueNotFound(_, let c), .dataCorrupted(let c): return c.debugDescription + path(c)
        @unknown default: return "\(error)"
        }
    }

    package func rngState() throws(CheckpointError) -> [UInt32] {
        let text = try string("rng_state")
        let words = text.split(separator: ",", omittingEmptySubsequences: false).compactMap { UInt32($0) }
        guard words.count == 4, text.split(separator: ",", omittingEmptySubsequences: false).count == 4 else {
            throw .invalidMetadata(key: "rng_state", value: text, expected: "four unsigned 32-bit integers separated by commas")
        }
        return words
    }
}
