import Linalg

/// Greedy decoding shared by the generating architectures: from an initial state,
/// feed a start token, then each step's most likely output, one step at a time.
enum GreedyDecoder {
    /// Returns `length` tokens per sequence (`[B][length]`); after a sequence emits
    /// `stop`, its remaining tokens are cut off (the arrays can be shorter).
    /// - Complexity: `length` single-step forwards of the stack and the output layer, on
    ///   the stack's prepared weights, the state kept in place (nothing allocated per step
    ///   but the output tokens).
    static func decode(
        rnn: RecurrentStack, fc: Linear, initialState: [Float], batchSize B: Int,
        start: Int32, length: Int, stop: Int32?
    ) -> [[Int32]] {
        var state = initialState
        var tokens = [Int32](repeating: start, count: B)
        var out = [[Int32]](repeating: [], count: B)
        var done = [Bool](repeating: false, count: B)
        let O = fc.outputSize
        var logits = [Float](repeating: 0, count: B * O)
        for _ in 0..<length {
            state.withUnsafeMutableBufferPointer { s in
                rnn.forward(.tokens(tokens), batchSize: B, state: UnsafePointer(s.baseAddress!), dropout: nil)
                rnn.writeFinalState(into: s.baseAddress!)
            }
            rnn.withOutputs { h in
                logits.withUnsafeMutableBufferPointer { fc.forward(h.baseAddress!, rows: B, into: $0.baseAddress!) }
            }
            for b in 0..<B {
                var best = 0
                for c in 1..<O where logits[b * O + c] > logits[b * O + best] { best = c }
                tokens[b] = Int32(best)
                if done[b] { continue }
                if let stop, Int32(best) == stop { done[b] = true; continue }
                out[b].append(Int32(best))
            }
            if done.allSatisfy({ $0 }) { break }
        }
        return out
    }
}
