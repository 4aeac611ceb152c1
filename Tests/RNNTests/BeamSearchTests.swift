import Foundation
import Linalg
import RNN
import Testing
import ToolTesting

/// `EncoderDecoderModel.decode`: width 1 is greedy; a beam finds what greedy misses; the
/// n-best list is sorted and scored by the model's own log-probabilities.
struct BeamSearchTests {
    static let sources: [[Int32]] = [[1, 4, 2, 0, 3], [2], [4, 4, 1], [0, 1, 2, 3, 4, 0, 1]]

    @Test(.precision(.fp32), arguments: [(nil, false), (AttentionScore.general, false), (.additive, false), (.general, true)])
    func widthOneIsGreedy(_ score: AttentionScore?, _ feeding: Bool) {
        let model = AttentionTests.model(score, cell: .lstm, layers: 2, hidden: 8, Vs: 5, Vt: 6, feeding: feeding, seed: 31)
        // α has no say with one hypothesis: the search stops when the best candidate ends.
        let search = BeamSearch(width: 1, lengthPenalty: 0.8, maxLengthRatio: 1.5, maxLengthExtra: 3)
        let beam = model.decode(Self.sources, search)
        for (b, source) in Self.sources.enumerated() {
            let greedy = model.translateGreedily([source], maxLength: search.maxLength(sourceLength: source.count))[0]
            #expect(beam[b].count == 1)
            #expect(beam[b][0].tokens == greedy, "source \(b): beam \(beam[b][0].tokens), greedy \(greedy)")
        }
    }

    /// A batch decodes as its sources one by one (to rounding: the products' shapes differ),
    /// attention weights included, while its sources stop at different steps (maximum
    /// lengths 2 to 8 here) and leave the decoder's batch.
    @Test(.precision(.fp32), arguments: [(nil, false), (AttentionScore.general, false), (.additive, false), (.general, true)])
    func aBatchDecodesAsItsSourcesAlone(_ score: AttentionScore?, _ feeding: Bool) {
        let model = AttentionTests.model(score, cell: .gru, layers: 2, hidden: 8, Vs: 5, Vt: 6, feeding: feeding, seed: 33)
        let search = BeamSearch(width: 3, lengthPenalty: 0.6, maxLengthRatio: 1, maxLengthExtra: 1, nBest: 2)
        let batch = model.decode(Self.sources, search, recordAttention: true)
        for (b, source) in Self.sources.enumerated() {
            let alone = model.decode([source], search, recordAttention: true)[0]
            #expect(alone.map(\.tokens) == batch[b].map(\.tokens) && alone.map(\.ended) == batch[b].map(\.ended), "source \(b)")
            #expect(zip(alone, batch[b]).allSatisfy { abs($0.score - $1.score) < 1e-4 })
            for (a, t) in zip(alone, batch[b]) {
                #expect(
                    a.attention.count == t.attention.count && a.attention.count == (score == nil ? 0 : a.tokens.count + (a.ended ? 1 : 0)))
                #expect(zip(a.attention, t.attention).allSatisfy { zip($0, $1).allSatisfy { abs($0 - $1) < 1e-5 } })
            }
        }
        #expect(Self.sources.indices.contains { b in batch[b].contains { $0.tokens.count == Self.sources[b].count + 1 } })
    }

    /// Sources of hundreds of positions (many tiles of the row kernels for a source's
    /// scores and contexts) beside a short one: the batch decodes as each source alone, and
    /// each n-best log-probability is the model's teacher-forced one.
    @Test(.precision(.fp32), arguments: [AttentionScore.dot, .general, .additive])
    func longSourcesDecodeAsAlone(_ score: AttentionScore) {
        let model = AttentionTests.model(score, cell: .gru, hidden: 32, Vs: 5, Vt: 6, seed: 35)
        var rng = SeededRandom(seed: 36)
        let sources = [420, 5, 300].map { n in (0..<n).map { _ in Int32(rng.index(below: 5)) } }
        let search = BeamSearch(width: 4, lengthPenalty: 0.6, maxLengthRatio: 0, maxLengthExtra: 6, nBest: 2)
        let batch = model.decode(sources, search)
        for (b, source) in sources.enumerated() {
            let alone = model.decode([source], search)[0]
            #expect(alone.map(\.tokens) == batch[b].map(\.tokens), "source \(b)")
            #expect(zip(alone, batch[b]).allSatisfy { abs($0.score - $1.score) < 1e-4 })
            for t in alone {
                let targets = t.tokens + (t.ended ? [model.endToken] : [])
                let logP =
                    -model.loss(
                        EncoderDecoderModel.Batch(source: source, sourceLengths: [source.count], targets: targets, batchSize: 1))
                    * Double(targets.count)
                #expect(abs(logP - t.logProbability) < 1e-4, "source \(b) \(t.tokens): beam \(t.logProbability), model \(logP)")
            }
        }
    }

    /// `ParallelDecoder` cuts a batch of long sources into fewer sources (their encoder
    /// activations and memory within `workingSetBytes`, at least `fewestSources`), keeps
    /// batches of short ones whole, and each source's translations are what it gets alone.
    @Test(.precision(.fp32)) func parallelDecoderCutsBatchesOfLongSources() {
        let model = AttentionTests.model(.general, cell: .lstm, hidden: 64, Vs: 5, Vt: 6, seed: 37)
        let decoder = ParallelDecoder(model, threads: 2)
        // 4·64 gates + 64 states + 64 memory = 384 floats a step: 300 steps are 460,800 bytes,
        // so 36 sources fit 16 MiB.
        #expect(ParallelDecoder.workingSetBytes == 16 << 20 && ParallelDecoder.fewestSources == 16)
        #expect(decoder.sourcesPerBatch(longest: 300, batchSize: 64) == 36)
        #expect(decoder.sourcesPerBatch(longest: 30, batchSize: 64) == 64)
        #expect(decoder.sourcesPerBatch(longest: 3_000, batchSize: 64) == 16)
        #expect(decoder.sourcesPerBatch(longest: 3_000, batchSize: 5) == 5)
        var rng = SeededRandom(seed: 38)
        let sources = (0..<40).map { i in (0..<(i < 20 ? 300 - i : 3 + i % 7)).map { _ in Int32(rng.index(below: 5)) } }
        let search = BeamSearch(width: 3, lengthPenalty: 0.6, maxLengthRatio: 0, maxLengthExtra: 5, nBest: 2)
        let batched = decoder.decode(sources, search, batchSize: 64)
        for (b, source) in sources.enumerated() {
            let alone = model.decode([source], search)[0]
            #expect(alone.map(\.tokens) == batched[b].map(\.tokens), "source \(b)")
            #expect(zip(alone, batched[b]).allSatisfy { abs($0.score - $1.score) < 1e-4 }, "source \(b)")
        }
    }

    /// A decoder that is a bigram table (a vanilla cell whose state is the one-hot previous
    /// token, an output layer holding log P(next | previous)): greedy takes A (0.6) and
    /// wanders (P(A end) = 0.198); beam 2 keeps B (0.4) and finds P(B end) = 0.396, with the
    /// live A A (0.204) second: A end ranked below the width when B end won.
    @Test(.precision(.fp32)) func beamFindsWhatGreedyMisses() {
        let (A, Bt, start, end) = (0, 1, 2, 3)
        var rng = SeededRandom(seed: 1)
        let model = EncoderDecoderModel(
            sourceVocabularySize: 2, targetVocabularySize: 4, hiddenSize: 4, startToken: Int32(start), endToken: Int32(end),
            using: &rng)
        var next = [[Double]](repeating: [0.25, 0.25, 0.25, 0.25], count: 4)
        next[start] = [0.6, 0.4, 1e-6, 1e-6]
        next[A] = [0.34, 0.33, 1e-6, 0.33]
        next[Bt] = [0.005, 0.005 - 1e-6, 1e-6, 0.99]
        model.parameters.setTensor("decoder.weight_ih_l0", (0..<16).map { $0 / 4 == $0 % 4 ? 20 : 0 })
        for name in ["decoder.weight_hh_l0", "decoder.bias_ih_l0", "decoder.bias_hh_l0", "fc.bias"] {
            model.parameters.setTensor(name, [Float](repeating: 0, count: model.parameters.tensor(name).count))
        }
        // fc.weight [V, H]: column `previous` holds log P(· | previous).
        model.parameters.setTensor("fc.weight", (0..<16).map { i in Float(log(next[i % 4][i / 4])) })
        let greedy = model.translateGreedily([[0]], maxLength: 6)[0]
        #expect(greedy.first == Int32(A))
        let beam = model.decode([[0]], BeamSearch(width: 2, lengthPenalty: 0, maxLengthRatio: 0, maxLengthExtra: 6, nBest: 2))[0]
        #expect(beam[0].tokens == [Int32(Bt)] && beam[0].ended)
        #expect(abs(beam[0].logProbability - log(0.4 * 0.99)) < 1e-4, "\(beam[0].logProbability)")
        #expect(beam[1].tokens == [Int32(A), Int32(A)] && !beam[1].ended)
        #expect(abs(beam[1].logProbability - log(0.6 * 0.34)) < 1e-4)
    }

    /// The n-best list is sorted by score, each score is its log-probability over the
    /// length penalty, and each log-probability is the model's: the teacher-forced loss of
    /// the same tokens (with the end token when it ended).
    @Test(.precision(.fp32), arguments: [(nil, false), (AttentionScore.dot, false), (.general, false), (.general, true)])
    func nBestScoresAreTheModelsLogProbabilities(_ score: AttentionScore?, _ feeding: Bool) {
        let model = AttentionTests.model(score, cell: .gru, layers: 1, hidden: 6, Vs: 5, Vt: 6, feeding: feeding, seed: 41)
        let search = BeamSearch(width: 4, lengthPenalty: 0.6, maxLengthRatio: 1, maxLengthExtra: 2, nBest: 4)
        for source in Self.sources {
            let list = model.decode([source], search, recordAttention: true)[0]
            #expect(list.count == 4)
            #expect(zip(list, list.dropFirst()).allSatisfy { $0.score >= $1.score })
            for t in list {
                let targets = t.tokens + (t.ended ? [model.endToken] : [])
                #expect(abs(t.score - t.logProbability / search.penalty(length: targets.count)) < 1e-9)
                let batch = EncoderDecoderModel.Batch(
                    source: source, sourceLengths: [source.count], targets: targets, batchSize: 1)
                let logP = -model.loss(batch) * Double(targets.count)
                #expect(abs(logP - t.logProbability) < 1e-4, "\(t.tokens): beam \(t.logProbability), model \(logP)")
                #expect(t.attention.count == (score == nil ? 0 : targets.count))
                #expect(t.attention.allSatisfy { $0.count == source.count && abs($0.reduce(0, +) - 1) < 1e-5 })
            }
        }
    }

    @Test func optionsProblems() {
        #expect(BeamSearch(width: 0).problem?.contains("width") == true)
        #expect(BeamSearch(width: 2, nBest: 3).problem?.contains("n-best") == true)
        #expect(BeamSearch(lengthPenalty: -1).problem != nil)
        #expect(BeamSearch(maxLengthRatio: 0, maxLengthExtra: 0).problem != nil)
        #expect(BeamSearch().problem == nil)
        #expect(BeamSearch(maxLengthRatio: 1.5, maxLengthExtra: 2).maxLength(sourceLength: 3) == 7)
        #expect(abs(BeamSearch(lengthPenalty: 1).penalty(length: 7) - 2) < 1e-12)
    }
}
