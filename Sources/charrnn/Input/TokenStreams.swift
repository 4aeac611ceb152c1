/// A token sequence cut into `batchSize` parallel streams of `streamLength` inputs each
/// (stream `b` reads tokens `b*S ..< b*S + S`, and predicts each next token), walked in
/// chunks of `seqLength` steps: the char-rnn scheme for truncated BPTT, with the hidden
/// state carried from one chunk of a stream to the next.
///
/// ```swift
/// let streams = TokenStreams(tokens: tokens, batchSize: 32, seqLength: 64, partialChunks: false)!
/// var x: [Int32] = [], y: [Int32] = []
/// let T = streams.fill(chunk: 0, inputs: &x, targets: &y)   // x, y: [T*B], time-major
/// ```
struct TokenStreams {
    let tokens: TokenSequence
    let batchSize: Int
    let seqLength: Int
    /// Inputs per stream, `(tokens.count - 1) / batchSize`.
    let streamLength: Int
    /// Whether a last chunk shorter than `seqLength` is walked (evaluation) or dropped (training).
    let partialChunks: Bool

    /// Nil when a stream would have no complete chunk (`partialChunks == false`) or no step at all.
    init?(tokens: TokenSequence, batchSize: Int, seqLength: Int, partialChunks: Bool) {
        precondition(batchSize > 0 && seqLength > 0)
        self.tokens = tokens
        self.batchSize = batchSize
        self.seqLength = seqLength
        self.partialChunks = partialChunks
        streamLength = self.tokens.count > 1 ? (self.tokens.count - 1) / batchSize : 0
        if streamLength < (partialChunks ? 1 : seqLength) { return nil }
    }

    /// Number of chunks (steps) in one pass.
    var chunkCount: Int {
        partialChunks ? (streamLength + seqLength - 1) / seqLength : streamLength / seqLength
    }

    /// Number of predictions in one pass.
    var predictionCount: Int {
        batchSize * (partialChunks ? streamLength : chunkCount * seqLength)
    }

    /// Writes chunk `c`'s inputs and targets (`[T*B]`, step `t` of stream `b` at `t*B + b`)
    /// and returns its number of steps `T`.
    func fill(chunk c: Int, inputs: inout [Int32], targets: inout [Int32]) -> Int {
        precondition(c >= 0 && c < chunkCount, "chunk \(c) outside 0..<\(chunkCount)")
        let B = batchSize, S = streamLength
        let start = c * seqLength
        let T = min(seqLength, S - start)
        inputs.removeAll(keepingCapacity: true)
        targets.removeAll(keepingCapacity: true)
        tokens.withTokens { token in
            for t in 0..<T {
                for b in 0..<B {
                    let i = b * S + start + t
                    inputs.append(token(i))
                    targets.append(token(i + 1))
                }
            }
        }
        return T
    }
}
