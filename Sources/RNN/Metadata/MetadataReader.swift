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
            let bound = range.upperBound == Int.max ? "an integer >= \(range.lowerBound)" : "an integer in \(range.lowerBound)...\(range.upperBound)"
            throw .invalidMetadata(key: key, value: text, expected: bound)
        }
        return value
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

    package func rngState() throws(CheckpointError) -> [UInt32] {
        let text = try string("rng_state")
        let words = text.split(separator: ",", omittingEmptySubsequences: false).compactMap { UInt32($0) }
        guard words.count == 4, text.split(separator: ",", omittingEmptySubsequences: false).count == 4 else {
            throw .invalidMetadata(key: "rng_state", value: text, expected: "four unsigned 32-bit integers separated by commas")
        }
        return words
    }
}
