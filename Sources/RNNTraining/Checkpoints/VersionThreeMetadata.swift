import RNN

// The configurations as the checkpoint formats of versions 1–3 spelled them: one metadata
// key per setting (`cell`, `hidden_size`, `num_layers`, `nonlinearity`, `bidirectional`,
// `input_size`, ...). Version 4 stores a configuration as one JSON value (it is `Codable`);
// these read the older files (and write them, for the tests that damage their keys).

/// A configuration that files of format versions 1–3 spelled as separate metadata keys.
package protocol VersionThreeConfiguration {
    /// The configuration as those keys.
    var metadata: [String: String] { get }
    /// Reads what `metadata` wrote; throws naming the bad key.
    init(metadata: [String: String]) throws(CheckpointError)
    /// The keys only some configurations write (an embedding, tied weights, dropout):
    /// reserved whether set or not, so that extra metadata cannot pass for them.
    static var optionalMetadataKeys: Set<String> { get }
}

extension VersionThreeConfiguration {
    package static var optionalMetadataKeys: Set<String> { [] }
}

/// Keys: `cell` (rnn|gru|lstm; absent = rnn), `hidden_size`, `num_layers`, `nonlinearity`
/// (tanh|relu; the vanilla RNN only, absent for GRU and LSTM), `bidirectional` ("true";
/// absent = one direction).
extension RecurrentConfiguration: VersionThreeConfiguration {
    /// The configuration as metadata (see the type's keys).
    package var metadata: [String: String] {
        var m = ["cell": cell.rawValue, "hidden_size": String(hiddenSize), "num_layers": String(numLayers)]
        if cell == .rnn { m["nonlinearity"] = nonlinearity.rawValue }
        if bidirectional { m["bidirectional"] = "true" }
        return m
    }

    /// Reads what `metadata` wrote; a file without `cell` is a vanilla RNN (the first format).
    package init(metadata: [String: String]) throws(CheckpointError) {
        let reader = MetadataReader(metadata: metadata)
        let cell: RecurrentCell = metadata["cell"] == nil ? .rnn : try reader.enumeration("cell", RecurrentCell.self)
        let hiddenSize = try reader.integer("hidden_size", in: 1...Self.maximumHiddenSize)
        let numLayers = try reader.integer("num_layers", in: 1...Self.maximumLayers)
        // The vanilla RNN needs its activation; GRU and LSTM have fixed ones (tanh or absent).
        let nonlinearity: Nonlinearity =
            cell == .rnn || metadata["nonlinearity"] != nil
            ? try reader.enumeration("nonlinearity", Nonlinearity.self) : .tanh
        if cell != .rnn && nonlinearity != .tanh {
            throw .invalidMetadata(
                key: "nonlinearity", value: nonlinearity.rawValue,
                expected: "tanh or no value: it applies to the vanilla RNN only, not \(cell)")
        }
        let bidirectional = try reader.flag("bidirectional")
        self.init(cell: cell, hiddenSize: hiddenSize, numLayers: numLayers, nonlinearity: nonlinearity, bidirectional: bidirectional)
    }

    /// `init(metadata:)` of a stack that must read forward only, `because` saying why.
    init(oneDirectional metadata: [String: String], because problem: String) throws(CheckpointError) {
        try self.init(metadata: metadata)
        if bidirectional { throw .invalidMetadata(key: "bidirectional", value: "true", expected: "false: \(problem)") }
    }

    /// When a tensor of this stack has the shape another cell would give it, the likely
    /// cause (a lost or wrong `cell` key); nil otherwise.
    package func otherCellHint(tensor: ParameterShape, found shape: [Int], metadataCell: String?) -> String? {
        guard
            let other = RecurrentCell.allCases.first(where: {
                $0 != cell && shape == [$0.gateCount * hiddenSize] + tensor.shape.dropFirst()
            })
        else { return nil }
        return "the shape is that of a \(other) layer; is the 'cell' metadata '\(metadataCell ?? "")' right?"
    }
}

/// Keys `input_size`, `output_size`, `RecurrentConfiguration`'s, and when set
/// `embedding_size`, `tie_weights` ("true"), `dropout` and `dropout_seed` (absent: 0, off).
extension StackWithOutputConfiguration: VersionThreeConfiguration {
    package init(metadata: [String: String]) throws(CheckpointError) {
        let reader = MetadataReader(metadata: metadata)
        let recurrent = try RecurrentConfiguration(metadata: metadata)
        let inputSize = try reader.integer("input_size", in: 1...RecurrentConfiguration.maximumInputSize)
        let outputSize = try reader.integer("output_size", in: 1...RecurrentConfiguration.maximumInputSize)
        let parts = try Self.readInputAndDropout(
            metadata, inputSize: inputSize, outputSize: outputSize,
            hiddenSize: recurrent.hiddenSize, bidirectional: recurrent.bidirectional)
        self.init(
            inputSize: inputSize, outputSize: outputSize, recurrent: recurrent, embeddingSize: parts.embeddingSize,
            tiedWeights: parts.tiedWeights, dropout: parts.dropout, dropoutSeed: parts.dropoutSeed)
    }

    /// The `embedding_size`, `tie_weights`, `dropout` and `dropout_seed` keys (each absent: 0/off).
    package static func readInputAndDropout(
        _ metadata: [String: String], inputSize: Int, outputSize: Int, hiddenSize: Int,
        bidirectional: Bool = false
    )
        throws(CheckpointError) -> (embeddingSize: Int, tiedWeights: Bool, dropout: Float, dropoutSeed: UInt64)
    {
        let reader = MetadataReader(metadata: metadata)
        let E =
            metadata["embedding_size"] == nil ? 0 : try reader.integer("embedding_size", in: 0...RecurrentConfiguration.maximumHiddenSize)
        let tied = try reader.flag("tie_weights")
        if tied,
            let problem = tyingProblem(
                inputSize: inputSize, outputSize: outputSize, embeddingSize: E, hiddenSize: hiddenSize,
                bidirectional: bidirectional)
        {
            throw .invalidMetadata(key: "tie_weights", value: "true", expected: "false: \(problem)")
        }
        var dropout: Float = 0
        if let text = metadata["dropout"] {
            guard let p = Float(text), p >= 0 && p < 1 else {
                throw .invalidMetadata(key: "dropout", value: text, expected: "a probability in [0, 1)")
            }
            dropout = p
        }
        var seed: UInt64 = 0
        if let text = metadata["dropout_seed"] {
            guard let s = UInt64(text) else {
                throw .invalidMetadata(key: "dropout_seed", value: text, expected: "an unsigned 64-bit integer")
            }
            seed = s
        }
        return (E, tied, dropout, seed)
    }

    package var metadata: [String: String] {
        var m = recurrent.metadata.merging(["input_size": String(inputSize), "output_size": String(outputSize)]) { a, _ in a }
        m.merge(inputAndDropoutMetadata) { a, _ in a }
        return m
    }

    package static var optionalMetadataKeys: Set<String> { ["embedding_size", "tie_weights", "dropout", "dropout_seed"] }

    /// The `embedding_size`, `tie_weights`, `dropout` and `dropout_seed` keys, each only when set.
    package var inputAndDropoutMetadata: [String: String] {
        var m: [String: String] = [:]
        if embeddingSize > 0 { m["embedding_size"] = String(embeddingSize) }
        if tiedWeights { m["tie_weights"] = "true" }
        if dropout > 0 {
            m["dropout"] = String(dropout)
            m["dropout_seed"] = String(dropoutSeed)
        }
        return m
    }
}

/// Keys `feature_size`, `vocabulary_size`, `start_token` and `RecurrentConfiguration`'s.
extension OneToManyModel.Configuration: VersionThreeConfiguration {
    package var metadata: [String: String] {
        recurrent.metadata.merging([
            "feature_size": String(featureSize), "vocabulary_size": String(vocabularySize),
            "start_token": String(startToken),
        ]) { a, _ in a }
    }

    package init(metadata: [String: String]) throws(CheckpointError) {
        let reader = MetadataReader(metadata: metadata)
        let recurrent = try RecurrentConfiguration(oneDirectional: metadata, because: Self.bidirectionalProblem)
        let features = try reader.integer("feature_size", in: 1...RecurrentConfiguration.maximumInputSize)
        let vocabulary = try reader.integer("vocabulary_size", in: 1...RecurrentConfiguration.maximumInputSize)
        let start = try reader.integer("start_token", in: 0...(vocabulary - 1))
        self.init(featureSize: features, vocabularySize: vocabulary, startToken: Int32(start), recurrent: recurrent)
    }
}

/// Keys `source_vocabulary_size`, `target_vocabulary_size`, `start_token`, `end_token`,
/// `RecurrentConfiguration`'s, and `bidirectional_encoder` ("true"; absent: false).
extension EncoderDecoderModel.Configuration: VersionThreeConfiguration {
    package var metadata: [String: String] {
        var m = recurrent.metadata.merging([
            "source_vocabulary_size": String(sourceVocabularySize), "target_vocabulary_size": String(targetVocabularySize),
            "start_token": String(startToken), "end_token": String(endToken),
        ]) { a, _ in a }
        if bidirectionalEncoder { m["bidirectional_encoder"] = "true" }
        return m
    }

    package static var optionalMetadataKeys: Set<String> { ["bidirectional_encoder"] }

    package init(metadata: [String: String]) throws(CheckpointError) {
        let reader = MetadataReader(metadata: metadata)
        let recurrent = try RecurrentConfiguration(oneDirectional: metadata, because: Self.bidirectionalProblem)
        let source = try reader.integer("source_vocabulary_size", in: 1...RecurrentConfiguration.maximumInputSize)
        let target = try reader.integer("target_vocabulary_size", in: 1...RecurrentConfiguration.maximumInputSize)
        let start = try reader.integer("start_token", in: 0...(target - 1))
        let end = try reader.integer("end_token", in: 0...(target - 1))
        let bidirectionalEncoder = try reader.flag("bidirectional_encoder")
        self.init(
            sourceVocabularySize: source, targetVocabularySize: target, startToken: Int32(start),
            endToken: Int32(end), recurrent: recurrent, bidirectionalEncoder: bidirectionalEncoder)
    }
}

extension MetadataReader {
    /// The `unit` and `vocabulary` metadata (`TextVocabulary.metadata`).
    package func textVocabulary() throws(CheckpointError) -> TextVocabulary {
        let unit = metadata["unit"] == nil ? .char : try enumeration("unit", TextUnit.self)
        switch unit {
        case .char: return .characters(try vocabulary())
        case .byte: return .bytes
        case .word:
            let text = try string("vocabulary")
            let words = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
            guard words.count >= 2, words[0] == WordVocabulary.unknown, words[1] == WordVocabulary.endOfLine else {
                throw .invalidMetadata(
                    key: "vocabulary", value: String(text.prefix(40)),
                    expected: "words separated by newlines, starting with \(WordVocabulary.unknown) and \(WordVocabulary.endOfLine)")
            }
            var seen: Set<String> = []
            for w in words {
                guard !w.isEmpty, !w.unicodeScalars.contains(where: { $0.properties.isWhitespace }), seen.insert(w).inserted else {
                    throw .invalidMetadata(
                        key: "vocabulary", value: String(w.prefix(40)),
                        expected: "distinct words without spaces, one per line")
                }
            }
            return .words(WordVocabulary(words: words))
        }
    }

    /// The `vocabulary` metadata of characters: distinct, in token order.
    package func vocabulary() throws(CheckpointError) -> Vocabulary {
        let text = try string("vocabulary")
        let characters = Array(text.unicodeScalars)
        guard !characters.isEmpty else {
            throw .invalidMetadata(key: "vocabulary", value: text, expected: "at least one character")
        }
        var seen: Set<Unicode.Scalar> = []
        for c in characters where !seen.insert(c).inserted {
            throw .invalidMetadata(
                key: "vocabulary", value: text,
                expected: "distinct characters, but \(CheckpointError.describe(c)) repeats")
        }
        return Vocabulary(characters: characters)
    }
}
