import RNN

/// A token sequence cut into `batchSize` parallel streams of `streamLength` inputs each
/// (stream `b` reads tokens `b*S ..< b*S + S`, and predicts each next token), walked in
/// chunks of `seqLength` steps: the char-rnn scheme for truncated BPTT, with the hidden
/// state carried from one chunk of a stream to the next.
///
/// As a `BatchSource`, chunk `c` is batch `c` of every epoch, and consecutive chunks
/// continue each other (the trainer carries the state).
///
/// ```swift
/// let streams = TokenStreams(tokens: tokens, batchSize: 32, seqLength: 64, partialChunks: false)!
/// var batch = ManyToManyModel.Batch()
/// streams.fill(0, epoch: 0, into: &batch)   // inputs, targets: [T*B], time-major
/// ```
public struct TokenStreams: BatchSource, Sendable {
    public let tokens: TokenSequence
    public let batchSize: Int
    public let seqLength: Int
    /// Inputs per stream, `(tokens.count - 1) / batchSize`.
    public let streamLength: Int
    /// Whether a last chunk shorter than `seqLength` is walked (evaluation) or dropped (training).
    public let partialChunks: Bool

    /// Nil when a stream would have no complete chunk (`partialChunks == false`) or no step at all.
    public init?(tokens: TokenSequence, batchSize: Int, seqLength: Int, partialChunks: Bool) {
        precondition(batchSize > 0 && seqLength > 0)
        self.tokens = tokens
        self.batchSize = batchSize
        self.seqLength = seqLength
        self.partialChunks = partialChunks
        streamLength = self.tokens.count > 1 ? (self.tokens.count - 1) / batchSize : 0
        if streamLength < (partialChunks ? 1 : seqLength) { return nil }
    }

    /// The streams of `tokens`, or an error that says why the text cannot be cut so (and
    /// how many tokens it would need): what `init?` does, for data a caller hands in.
    ///
    /// ```swift
    /// let streams = try TokenStreams.cutting(tokens, batchSize: 32, seqLength: 64, partialChunks: false)
    /// ```
    public static func cutting(_ tokens: TokenSequence, batchSize: Int, seqLength: Int, partialChunks: Bool)
        throws(TokenStreamsError) -> TokenStreams
    {
        guard batchSize > 0 && seqLength > 0,
            let streams = TokenStreams(tokens: tokens, batchSize: batchSize, seqLength: seqLength, partialChunks: partialChunks)
        else {
            throw TokenStreamsError(tokens: tokens.count, batchSize: batchSize, seqLength: seqLength, partialChunks: partialChunks)
        }
        return streams
    }

    /// Number of chunks (steps) in one pass.
    public var chunkCount: Int {
        partialChunks ? (streamLength + seqLength - 1) / seqLength : streamLength / seqLength
    }

    /// Number of predictions in one pass.
    public var predictionCount: Int {
        batchSize * (partialChunks ? streamLength : chunkCount * seqLength)
    }

    public var batchesPerEpoch: Int { chunkCount }
    public var continuesSequences: Bool { true }

    /// Writes chunk `c`'s inputs and targets (`[T*B]`, step `t` of stream `b` at `t*B + b`)
    /// into `batch` (its storage reused); the chunks are the same every epoch.
    public func fill(_ c: Int, epoch: Int, into batch: inout ManyToManyModel.Batch) {
        precondition(c >= 0 && c < chunkCount, "chunk \(c) outside 0..<\(chunkCount)")
        let B = batchSize, S = streamLength
        let start = c * seqLength
        let T = min(seqLength, S - start)
        batch.refill(batchSize: B) { inputs, targets in
            tokens.withTokens { token in
                for t in 0..<T {
                    for b in 0..<B {
                        let i = b * S + start + t
                        inputs.append(token(i))
                        targets.append(token(i + 1))
                    }
                }
            }
        }
    }
}

/// Why a token sequence cannot be cut into streams (`TokenStreams.cutting`).
public struct TokenStreamsError: Error, Equatable, CustomStringConvertible {
    public let tokens: Int
    public let batchSize: Int
    public let seqLength: Int
    public let partialChunks: Bool

    public init(tokens: Int, batchSize: Int, seqLength: Int, partialChunks: Bool) {
        (self.tokens, self.batchSize, self.seqLength, self.partialChunks) = (tokens, batchSize, seqLength, partialChunks)
    }

    /// The fewest tokens that give every stream one step (`partialChunks`) or one whole
    /// chunk: each of the `batchSize` streams needs its inputs, and the last one's target.
    public var tokensNeeded: Int { batchSize * (partialChunks ? 1 : seqLength) + 1 }

    public var description: String {
        guard batchSize > 0 && seqLength > 0 else {
            return "batchSize (\(batchSize)) and seqLength (\(seqLength)) must be positive"
        }
        let what = partialChunks ? "one step" : "a chunk of \(seqLength) steps"
        return
            "\(tokens) tokens cut into \(batchSize) streams leave each stream \(tokens > 1 ? (tokens - 1) / batchSize : 0) inputs, too few for \(what); give at least \(tokensNeeded) tokens, or a smaller batchSize\(partialChunks ? "" : " or seqLength")"
    }
}
