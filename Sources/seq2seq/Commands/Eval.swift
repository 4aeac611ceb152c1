import ArgumentParser
import Foundation
import Linalg
import RNN
import SequenceData
import _ToolSupport

extension Seq2Seq {
    /// `seq2seq eval`: exact match, token accuracy and BLEU on a file of pairs.
    struct Eval: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Evaluate a checkpoint on a file of pairs: exact match, token accuracy, corpus BLEU.",
            discussion: """
                Every source is translated by beam search (--beam). Exact match: the share of
                translations equal to their target, token for token. Token accuracy: under
                teacher forcing (each step reads the true previous token), the share of target
                tokens (the end token included) that are the model's most likely. BLEU: corpus
                BLEU of the translations against the targets as sacrebleu computes it by
                default (13a tokenization, 4-grams, 'exp' smoothing). The longest third of the
                sources (by source tokens) also gets its own exact match.

                Examples:
                  seq2seq eval --checkpoint dates.safetensors --pairs dates-test.tsv
                  seq2seq eval --checkpoint dates.safetensors --pairs dates-test.tsv --beam 1 --json
                """
        )

        @Option(help: ArgumentHelp("A checkpoint written by seq2seq train.", valueName: "path")) var checkpoint: String
        @Option(help: ArgumentHelp("Test pairs: SOURCE<TAB>TARGET per line.", valueName: "path")) var pairs: String
        @OptionGroup var search: SearchOptions
        @OptionGroup var precision: PrecisionOptions
        @Flag(help: "Print the figures as one JSON object.") var json = false

        func run() throws {
            let saved = try Seq2SeqCheckpoint(path: checkpoint, option: "--checkpoint")
            let model = saved.model
            try precision.apply(to: model)
            let search = try self.search.search(nBest: 1, targetVocabulary: model.configuration.targetVocabularySize)
            let test = try PairData.read(pairs, option: "--pairs")
            let (sourceSide, targetSide) = (saved.vocabularies.source, saved.vocabularies.target)
            let (sources, targets) = try PairData.encode(test, sourceSide, targetSide, path: pairs)
            for (tokens, line) in zip(sources, test.lines) {
                try PairData.checkLength(tokens.count, limit: saved.run.maxSourceLength, place: "--pairs '\(pairs)' line \(line)")
            }
            let started = now()
            let translations = ParallelDecoder(model, threads: self.search.threadCount)
                .decode(sources, search, batchSize: self.search.batchSize).map { $0[0] }
            let seconds = now() - started
            let exact = zip(translations, targets).map { $0.tokens == $1 }
            ComputeThreads.count = self.search.threadCount  // the teacher-forced pass's GEMMs
            let teacherForced = Self.teacherForced(model, sources: sources, targets: targets)
            let longest = Set(sources.indices.sorted { sources[$0].count > sources[$1].count }.prefix(max(1, sources.count / 3)))
            let figures = Figures(
                pairs: test.count, exactMatch: Self.share(exact.filter { $0 }.count, of: test.count),
                exactMatchLongestThird: Self.share(longest.filter { exact[$0] }.count, of: longest.count),
                tokenAccuracy: teacherForced.accuracy,
                bleu: BLEU(hypotheses: translations.map { targetSide.decode($0.tokens) }, references: test.targets),
                loss: teacherForced.loss,
                beam: search.width, lengthPenalty: search.lengthPenalty, decodeSeconds: seconds, precision: model.precision,
                unknownSourceSymbols: sources.map(SideVocabulary.unknownCount).reduce(0, +),
                unknownTargetSymbols: targets.map(SideVocabulary.unknownCount).reduce(0, +))
            if json {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.sortedKeys]
                encoder.keyEncodingStrategy = .convertToSnakeCase
                Console.out(String(decoding: try encoder.encode(figures), as: UTF8.self) + "\n")
            } else {
                Console.out(figures.report(pairs: pairs))
            }
        }

        static func share(_ part: Int, of whole: Int) -> Double { whole == 0 ? 0 : Double(part) / Double(whole) }

        /// Under teacher forcing, in one pass: the mean loss per target token (as
        /// `meanLoss`) and the share of target tokens (the end token's included) predicted.
        private static func teacherForced(
            _ model: EncoderDecoderModel, sources: [[Int32]], targets: [[Int32]]
        ) -> (loss: Double, accuracy: Double) {
            let batches = PairBatches(
                sources: sources, targets: targets, endToken: model.endToken, batchSize: 256, seed: 0, shuffles: false)
            var total = 0.0, right = 0, counted = 0
            var batch = EncoderDecoderModel.Batch()
            for i in 0..<batches.batchesPerEpoch {
                batches.fill(i, epoch: 0, into: &batch)
                let (loss, predictions) = model.teacherForced(batch)
                total += loss * Double(batch.countedTargets)
                for (predicted, target) in zip(predictions, batch.targets) where target >= 0 {
                    counted += 1
                    if predicted == target { right += 1 }
                }
            }
            return (counted > 0 ? total / Double(counted) : .nan, share(right, of: counted))
        }
    }
}

/// What `seq2seq eval` reports (`--json` keys in snake case).
struct Figures: Encodable {
    var pairs: Int
    var exactMatch: Double
    var exactMatchLongestThird: Double
    var tokenAccuracy: Double
    var bleu: BLEU
    var loss: Double
    var beam: Int
    var lengthPenalty: Double
    var decodeSeconds: Double
    var precision: Precision
    var unknownSourceSymbols: Int
    var unknownTargetSymbols: Int

    private enum CodingKeys: String, CodingKey {
        case pairs, exactMatch, exactMatchLongestThird, tokenAccuracy, bleu, bleuDetails, loss, beam, lengthPenalty, decodeSeconds
        case precision, unknownSourceSymbols, unknownTargetSymbols
    }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(pairs, forKey: .pairs)
        try c.encode(exactMatch, forKey: .exactMatch)
        try c.encode(exactMatchLongestThird, forKey: .exactMatchLongestThird)
        try c.encode(tokenAccuracy, forKey: .tokenAccuracy)
        try c.encode(bleu.score, forKey: .bleu)
        try c.encode(bleu, forKey: .bleuDetails)
        try c.encode(loss, forKey: .loss)
        try c.encode(beam, forKey: .beam)
        try c.encode(lengthPenalty, forKey: .lengthPenalty)
        try c.encode(decodeSeconds, forKey: .decodeSeconds)
        try c.encode(precision, forKey: .precision)
        try c.encode(unknownSourceSymbols, forKey: .unknownSourceSymbols)
        try c.encode(unknownTargetSymbols, forKey: .unknownTargetSymbols)
    }

    func report(pairs path: String) -> String {
        func percent(_ x: Double) -> String { String(format: "%.2f%%", 100 * x) }
        let p = bleu.precisions.map { String(format: "%.1f", $0) }.joined(separator: "/")
        var out = """
            seq2seq eval: \(Format.count(pairs)) pairs of '\(path)', beam \(beam) (α \(lengthPenalty)), decoded in \(Format.duration(decodeSeconds)) (\(precision))
            exact match            \(percent(exactMatch))
            exact match, longest third of the sources  \(percent(exactMatchLongestThird))
            token accuracy         \(percent(tokenAccuracy)) (teacher forced, end token included)
            BLEU                   \(String(format: "%.2f", bleu.score)) (13a; \(p), BP \(String(format: "%.3f", bleu.brevityPenalty)))
            loss                   \(Format.loss(loss)) nats per target token

            """
        if unknownSourceSymbols + unknownTargetSymbols > 0 {
            out +=
                "(\(Format.plural(unknownSourceSymbols, "source symbol")) and \(Format.plural(unknownTargetSymbols, "target symbol")) outside the vocabularies read as <unk>)\n"
        }
        return out
    }
}
