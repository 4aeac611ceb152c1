import Foundation
import Linalg

/// What a beam search advances: `N = B·k` rows of decoder state, `k` per source.
protocol BeamDecoder: AnyObject {
    /// The output vocabulary `V`.
    var vocabularySize: Int { get }
    /// One step of the rows of the sources still searched (`k` each, all `B` sources until
    /// a reorder keeps fewer) from their tokens: updates the rows' states and returns the
    /// logits `[rows, V]` (valid until the next call).
    func advance(_ tokens: [Int32]) -> UnsafeMutablePointer<Float>
    /// Keeps `sources` (ascending, a subset of those searched so far), `k` rows each: row
    /// `r` of the state becomes row `parents[r]`'s (a parent of the same source, numbered
    /// among the rows of the last `advance`).
    func reorder(_ parents: [Int], keeping sources: [Int])
    /// The attention weights of the last `advance` of row `r` (the source's own length), or nil.
    func attentionWeights(row r: Int) -> UnsafeBufferPointer<Float>?
}

/// The bookkeeping of one beam search over a batch of sources (`BeamSearch` describes it):
/// the live hypotheses as back-pointers per step, the finished ones per source. Each step
/// runs one `advance` of the `k` rows of every source still searched, then per source a
/// selection of the best `2k` of its `k·V` candidates; a source that stops leaves the
/// decoder's batch at the next reorder. - Complexity: per step `O(B·k·V)` besides the
/// decoder; the tables are allocated once per call (`maxLength·B·k` entries).
final class BeamSearchRun {
    private struct Finished {
        var step: Int
        var parent: Int
        var logProbability: Double
        var score: Double
    }

    private let search: BeamSearch
    private let B: Int
    private let k: Int
    private let V: Int
    private let start: Int32
    private let end: Int32
    private let maxLengths: [Int]
    private let recordAttention: Bool

    init(search: BeamSearch, sources B: Int, vocabularySize V: Int, start: Int32, end: Int32, maxLengths: [Int], recordAttention: Bool) {
        self.search = search
        self.B = B
        self.k = search.width
        self.V = V
        self.start = start
        self.end = end
        self.maxLengths = maxLengths
        self.recordAttention = recordAttention
    }

    /// Runs the search on `decoder` (whose rows start at each source's initial state) and
    /// returns each source's `nBest` translations, best first.
    func run(_ decoder: some BeamDecoder) -> [[Translation]] {
        let N = B * k, steps = maxLengths.max() ?? 0
        var tokens = [Int32](repeating: start, count: N)
        // Only the first of a source's k identical rows is live at first.
        var scores = (0..<N).map { $0 % k == 0 ? 0 : -Double.infinity }
        var backTokens = [Int32](repeating: 0, count: steps * N)
        var backParents = [Int](repeating: 0, count: steps * N)
        var weights: [[Float]] = recordAttention ? Array(repeating: [], count: steps * N) : []
        var finished = [[Finished]](repeating: [], count: B)
        var done = [Bool](repeating: false, count: B)
        // The step after which each source's search ended: its live hypotheses end there.
        var lastSteps = [Int](repeating: 0, count: B)
        var parents = [Int](repeating: 0, count: N), nextTokens = tokens, nextScores = scores
        var candidates: [(score: Double, row: Int, token: Int32)] = []
        candidates.reserveCapacity(2 * k + 1)
        // The sources the decoder still runs, in its row order (`k` rows each), and where
        // each of them is in that order.
        var live = Array(0..<B), position = Array(0..<B), kept = live
        var liveTokens = [Int32](), keptParents = [Int]()
        liveTokens.reserveCapacity(N)
        keptParents.reserveCapacity(N)
        for step in 0..<steps {
            liveTokens.removeAll(keepingCapacity: true)
            for b in live { liveTokens += tokens[(b * k)..<((b + 1) * k)] }
            let logits = decoder.advance(liveTokens)
            if recordAttention {
                for (i, b) in live.enumerated() {
                    for j in 0..<k { weights[step * N + b * k + j] = decoder.attentionWeights(row: i * k + j).map(Array.init) ?? [] }
                }
            }
            for r in 0..<(live.count * k) { Self.logSoftmax(logits + r * V, count: V) }
            for b in 0..<B {
                let rows = b * k..<(b + 1) * k
                guard !done[b] else {
                    for r in rows { (parents[r], nextTokens[r], nextScores[r]) = (r, end, scores[r]) }
                    continue
                }
                best(2 * k, of: rows, scores: scores, logProbabilities: logits + position[b] * k * V, into: &candidates)
                var alive = 0
                for (rank, c) in candidates.enumerated() {
                    if c.token == end {
                        if rank < k {
                            finished[b].append(
                                Finished(
                                    step: step, parent: c.row, logProbability: c.score,
                                    score: c.score / search.penalty(length: step + 1)))
                        }
                        if rank == 0 { done[b] = true }
                    } else if alive < k {
                        let r = rows.lowerBound + alive
                        (parents[r], nextTokens[r], nextScores[r]) = (c.row, c.token, c.score)
                        alive += 1
                    }
                }
                for r in rows.lowerBound + alive..<rows.upperBound {
                    (parents[r], nextTokens[r], nextScores[r]) = (rows.lowerBound, end, -.infinity)
                }
                if step + 1 >= maxLengths[b] { done[b] = true }
                lastSteps[b] = step
            }
            for r in 0..<N {
                backTokens[step * N + r] = nextTokens[r]
                backParents[step * N + r] = parents[r]
            }
            swap(&tokens, &nextTokens)
            swap(&scores, &nextScores)
            // The decoder keeps the sources that go on, each row from its parent's row.
            kept.removeAll(keepingCapacity: true)
            keptParents.removeAll(keepingCapacity: true)
            for b in live where !done[b] {
                kept.append(b)
                for r in (b * k)..<((b + 1) * k) { keptParents.append(position[b] * k + parents[r] - b * k) }
            }
            if kept.isEmpty { break }
            for (i, b) in kept.enumerated() { position[b] = i }
            swap(&live, &kept)
            decoder.reorder(keptParents, keeping: live)
        }
        // Walks back from `row` of the beam after `step`: the tokens (and weights) that led to it.
        func path(endingAt step: Int, row: Int) -> (tokens: [Int32], attention: [[Float]]) {
            var tokens: [Int32] = [], attention: [[Float]] = []
            var r = row
            for s in stride(from: step, through: 0, by: -1) {
                tokens.append(backTokens[s * N + r])
                if recordAttention { attention.append(weights[s * N + backParents[s * N + r]]) }
                r = backParents[s * N + r]
            }
            return (tokens.reversed(), attention.reversed())
        }
        return (0..<B).map { b in
            var out = finished[b].sorted { $0.score > $1.score }.map { f in
                let (prefix, attention) = f.step > 0 ? path(endingAt: f.step - 1, row: f.parent) : ([], [])
                return Translation(
                    tokens: prefix, logProbability: f.logProbability, score: f.score, ended: true,
                    attention: recordAttention ? attention + [weights[f.step * N + f.parent]] : [])
            }
            if out.count < search.nBest {
                // Cut at the maximum length: the live hypotheses, best first.
                let live = (b * k..<(b + 1) * k).filter { scores[$0].isFinite }.sorted { scores[$0] > scores[$1] }
                for r in live.prefix(search.nBest - out.count) {
                    let (tokens, attention) = path(endingAt: lastSteps[b], row: r)
                    out.append(
                        Translation(
                            tokens: tokens, logProbability: scores[r], score: scores[r] / search.penalty(length: tokens.count),
                            ended: false, attention: attention))
                }
            }
            return Array(out.prefix(search.nBest))
        }
    }

    /// The best `count` candidates `(score of the row + log p(token))` of the `rows`, best
    /// first; of equal scores, the earlier row and token (so width 1 picks greedy's argmax).
    /// Candidates of dead rows (score -inf) are left out. `logProbabilities` holds the rows'
    /// `[rows.count, V]`.
    private func best(
        _ count: Int, of rows: Range<Int>, scores: [Double], logProbabilities: UnsafePointer<Float>,
        into out: inout [(score: Double, row: Int, token: Int32)]
    ) {
        out.removeAll(keepingCapacity: true)
        for r in rows where scores[r].isFinite {
            let p = logProbabilities + (r - rows.lowerBound) * V
            for v in 0..<V {
                let s = scores[r] + Double(p[v])
                if out.count == count, s <= out[count - 1].score { continue }
                var i = out.count
                while i > 0 && out[i - 1].score < s { i -= 1 }
                out.insert((s, r, Int32(v)), at: i)
                if out.count > count { out.removeLast() }
            }
        }
    }

    /// `x - logsumexp(x)` in place over `count` values.
    static func logSoftmax(_ x: UnsafeMutablePointer<Float>, count: Int) {
        var top = -Float.infinity
        for i in 0..<count { top = max(top, x[i]) }
        var sum: Float = 0
        for i in 0..<count { sum += Vector.exp(x[i] - top) }
        let shift = top + Float(Foundation.log(Double(sum)))
        for i in 0..<count { x[i] -= shift }
    }
}
