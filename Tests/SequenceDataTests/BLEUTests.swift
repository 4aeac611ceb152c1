import Foundation
import Linalg
import SequenceData
import Testing
import ToolTesting

/// The Python with sacrebleu that corpus BLEU is checked against.
private let sacrebleuPython = PythonOracle(
    importing: "sacrebleu",
    skipReason: "needs sacrebleu (~/.venvs/torch/bin/pip install sacrebleu, or CHARRNN_TORCH_PYTHON)")

/// Corpus BLEU and the 13a tokenizer: known answers worked out by hand, then sacrebleu's
/// `corpus_bleu` (where it is installed) on a few hundred seeded pseudo-random segments.
@Suite struct BLEUTests {
    private func close(_ a: Double, _ b: Double, relative: Double = 1e-12) -> Bool { abs(a - b) <= relative * abs(b) }

    @Test func tokenizer13aSetsPunctuationApartAndKeepsNumbersWhole() {
        let cases: [(String, [String])] = [
            ("Hello, world!", ["Hello", ",", "world", "!"]),
            ("It costs 3.5 dollars, or 1,000 cents.", ["It", "costs", "3.5", "dollars", ",", "or", "1,000", "cents", "."]),
            ("a &amp; b &lt;c&gt; &quot;q&quot;", ["a", "&", "b", "<", "c", ">", "\"", "q", "\""]),
            ("don't stop", ["don't", "stop"]),
            ("well-known 1990-2000", ["well-known", "1990", "-", "2000"]),
            ("<skipped>foo-\nbar\nbaz", ["foobar", "baz"]),
            ("e.g. 3.5. $5 50% x.,y", ["e", ".", "g", ".", "3.5", ".", "$", "5", "50", "%", "x", ".", ",", "y"]),
            // Python's whitespace: no-break space, and the information separators U+001C...U+001F.
            ("  a\u{A0}b\u{1C}c \n", ["a", "b", "c"]),
            (
                "(a+b)*c=d/e [f]{g}~h|i^j_k`l\\m@n#o",
                [
                    "(", "a", "+", "b", ")", "*", "c", "=", "d", "/", "e", "[", "f", "]", "{", "g", "}", "~", "h", "|", "i", "^",
                    "j", "_", "k", "`", "l", "\\", "m", "@", "n", "#", "o",
                ]
            ),
            ("", []),
        ]
        for (line, tokens) in cases {
            #expect(BLEU.tokenize13a(line) == tokens, "\(line.debugDescription)")
        }
    }

    @Test func aPerfectMatchScores100() {
        let lines = ["The cat sat on the mat.", "Hello, world!"]
        let bleu = BLEU(hypotheses: lines, references: lines)
        #expect(close(bleu.score, 100), "\(bleu)")
        #expect(bleu.precisions == [100, 100, 100, 100] && bleu.brevityPenalty == 1)
        // 7 and 4 tokens: 11 unigrams, 9 bigrams, 7 trigrams, 5 4-grams, all matched.
        #expect(bleu.counts == [11, 9, 7, 5] && bleu.totals == bleu.counts)
        #expect(bleu.hypothesisLength == 11 && bleu.referenceLength == 11 && bleu.ratio == 1)
    }

    @Test func ordersWithoutAMatchAreSmoothedExponentially() {
        // One word differs: 4 of 5 unigrams, 2 of 4 bigrams, no trigram or 4-gram; the first
        // empty order scores 100 / (2 · 3), the second 100 / (4 · 2).
        let bleu = BLEU(hypotheses: ["a b x d e"], references: ["a b y d e"])
        #expect(bleu.counts == [4, 2, 0, 0] && bleu.totals == [5, 4, 3, 2])
        #expect(bleu.precisions == [80, 50, 100.0 / 6, 12.5], "\(bleu.precisions)")
        #expect(close(bleu.score, pow(80 * 50 * 100.0 / 6 * 12.5, 0.25)), "\(bleu.score)")
        #expect(close(bleu.score, 30.213753973567677))  // sacrebleu 2.6.0
    }

    @Test func theBrevityPenaltyScalesShortHypotheses() {
        let short = BLEU(hypotheses: ["a b c d"], references: ["a b c d e f"])
        #expect(short.precisions == [100, 100, 100, 100])
        #expect(close(short.brevityPenalty, exp(1 - 6.0 / 4)) && close(short.score, 100 * exp(-0.5)), "\(short)")
        #expect(short.hypothesisLength == 4 && short.referenceLength == 6)
        // A longer hypothesis has no penalty; the lengths are summed over the corpus first.
        let long = BLEU(hypotheses: ["a b c d e f g h"], references: ["a b c d e f"])
        #expect(long.brevityPenalty == 1 && long.ratio == 8.0 / 6)
        let corpus = BLEU(hypotheses: ["a b c d e f g h", "a b c d"], references: ["a b c d e f", "a b c d e f"])
        #expect(corpus.hypothesisLength == 12 && corpus.referenceLength == 12 && corpus.brevityPenalty == 1)
    }

    @Test func countsAreClippedPerLineAndSummedOverTheCorpus() throws {
        // "the" ×4 against ×2: 3 of 5 unigrams, 1 of 4 bigrams ("the cat"), no trigram or
        // 4-gram; the second line matches all its 4 + 3 + 2 + 1 n-grams.
        let bleu = BLEU(
            hypotheses: ["the the the the cat", "a b c d"], references: ["the cat on the mat", "a b c d e"])
        #expect(bleu.counts == [7, 4, 2, 1] && bleu.totals == [9, 7, 5, 3], "\(bleu)")
        #expect(bleu.hypothesisLength == 9 && bleu.referenceLength == 10)
        let expected = 100 * exp(1 - 10.0 / 9) * pow(7.0 / 9 * 4 / 7 * 2 / 5 * 1 / 3, 0.25)
        #expect(close(bleu.score, expected) && close(bleu.score, 44.15034607719596), "\(bleu.score) vs \(expected)")
        let encoded = try JSONEncoder().encode(bleu)
        let json = try JSONSerialization.jsonObject(with: encoded) as! [String: Any]
        #expect(Set(json.keys) == ["bleu", "precisions", "counts", "totals", "bp", "sys_len", "ref_len"])
        #expect(try JSONDecoder().decode(BLEU.self, from: encoded) == bleu)
    }

    @Test func noMatchOrAMissingOrderScoresZero() {
        let disjoint = BLEU(hypotheses: ["x y z w"], references: ["a b c d"])
        #expect(disjoint.score == 0 && disjoint.precisions == [0, 0, 0, 0] && disjoint.totals == [4, 3, 2, 1])
        // No 4-gram in the whole corpus: the fourth precision is 0, and so is the score.
        let short = BLEU(hypotheses: ["a b c"], references: ["a b c"])
        #expect(short.score == 0 && short.precisions == [100, 100, 100, 0], "\(short)")
        let empty = BLEU(hypotheses: [""], references: ["a"])
        #expect(empty.score == 0 && empty.brevityPenalty == 0 && empty.referenceLength == 1)
        let none = BLEU(hypotheses: [], references: [])
        #expect(none.score == 0 && none.brevityPenalty == 1 && none.ratio == 0)
    }

    @Test(.enabled(if: sacrebleuPython.path != nil, Comment(rawValue: sacrebleuPython.skipReason)))
    func corpusBLEUEqualsSacrebleus() throws {
        var segments = Segments(seed: 23)
        // 300 references and hypotheses that copy them with a few edits (some verbatim,
        // some empty, some unrelated); then 60 short unrelated pairs, where the higher
        // orders rarely match and the smoothing decides.
        var related: (hypotheses: [String], references: [String]) = ([], [])
        for _ in 0..<300 {
            let length = 1 + segments.rng.index(below: 20)
            let reference = segments.segment(pieces: length)
            let hypothesis = segments.perturbed(reference)
            related.references.append(Segments.render(reference))
            related.hypotheses.append(Segments.render(hypothesis))
        }
        var unrelated: (hypotheses: [String], references: [String]) = ([], [])
        for _ in 0..<60 {
            let lengths = (reference: 1 + segments.rng.index(below: 8), hypothesis: 1 + segments.rng.index(below: 8))
            let reference = segments.segment(pieces: lengths.reference)
            let hypothesis = segments.segment(pieces: lengths.hypothesis)
            unrelated.references.append(Segments.render(reference))
            unrelated.hypotheses.append(Segments.render(hypothesis))
        }
        let corpora = [related, unrelated]
        let lines = corpora.flatMap { $0.hypotheses + $0.references }

        try withTemporaryDirectory { dir in
            let input: [String: Any] = [
                "corpora": corpora.map { ["hypotheses": $0.hypotheses, "references": $0.references] },
                "lines": lines,
            ]
            try JSONSerialization.data(withJSONObject: input).write(to: URL(fileURLWithPath: dir + "/in.json"))
            let script = try write(
                """
                import json, sacrebleu
                from sacrebleu.tokenizers.tokenizer_13a import Tokenizer13a
                d = json.load(open("in.json", encoding="utf-8"), strict=False)
                tokenize = Tokenizer13a()
                out = {"version": sacrebleu.__version__, "corpora": [],
                       "tokens": [tokenize(line.rstrip()).split() for line in d["lines"]]}
                for c in d["corpora"]:
                    s = sacrebleu.corpus_bleu(c["hypotheses"], [c["references"]])
                    out["corpora"].append({"bleu": s.score, "precisions": s.precisions, "counts": s.counts,
                                           "totals": s.totals, "bp": s.bp, "sys_len": s.sys_len, "ref_len": s.ref_len})
                json.dump(out, open("out.json", "w"))
                """, to: "reference.py", in: dir)
            let (status, output) = try sacrebleuPython.run(file: script, in: dir)
            #expect(status == 0, "\(output)")
            let reference =
                try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir + "/out.json"))) as! [String: Any]
            let version = reference["version"] as! String

            // Token by token, compared as Unicode scalars (as Python compares strings).
            let expectedTokens = (reference["tokens"] as! [[String]]).map { $0.map { Array($0.unicodeScalars) } }
            let differing = lines.indices.filter { BLEU.tokenize13a(lines[$0]).map { Array($0.unicodeScalars) } != expectedTokens[$0] }
            let examples = differing.prefix(3).map {
                "\(lines[$0].debugDescription): \(BLEU.tokenize13a(lines[$0])) vs \(expectedTokens[$0])"
            }
            #expect(differing.isEmpty, "\(differing.count) lines tokenized unlike sacrebleu \(version), e.g. \(examples)")

            for (corpus, expected) in zip(corpora, reference["corpora"] as! [[String: Any]]) {
                let bleu = BLEU(hypotheses: corpus.hypotheses, references: corpus.references)
                let score = expected["bleu"] as! Double
                #expect(close(bleu.score, score, relative: 1e-6), "BLEU \(bleu.score) vs sacrebleu \(version) \(score)")
                #expect(
                    bleu.counts == expected["counts"] as! [Int] && bleu.totals == expected["totals"] as! [Int]
                        && bleu.hypothesisLength == expected["sys_len"] as! Int && bleu.referenceLength == expected["ref_len"] as! Int,
                    "\(bleu) vs \(expected)")
                let precisions = expected["precisions"] as! [Double]
                #expect(
                    zip(bleu.precisions, precisions).allSatisfy { close($0, $1, relative: 1e-6) }
                        && close(bleu.brevityPenalty, expected["bp"] as! Double, relative: 1e-6),
                    "\(bleu) vs \(expected)")
            }
        }
    }
}

/// Seeded pseudo-random segments of words, numbers, punctuation, entities and odd
/// whitespace: everything the 13a rules treat specially.
private struct Segments {
    var rng: SeededRandom

    init(seed: UInt64) { rng = SeededRandom(seed: seed) }

    static let words = [
        "the", "The", "cat", "sat", "on", "a", "mat", "river", "said", "hello", "world", "quick", "brown", "fox", "don't",
        "it's", "well-known", "co-op", "U.S.", "e.g.", "Mr.", "&amp;", "&quot;quoted&quot;", "&lt;b&gt;", "<skipped>",
        "a/b", "x+y", "(see", "below)", "\"hi\"", "[1]", "{x}", "~", "#tag", "@user", "café", "cafe\u{301}", "naïve", "über",
        "日本語", "😀", "—", "…", "’", "x.y", "a,b",
    ]
    static let separators = [
        " ", " ", " ", " ", " ", " ", " ", " ", ", ", "; ", " - ", "-", ": ", ". ", "\u{A0}", "\u{3000}", "\u{1C}", "\n",
        "-\n", "  ", "\t", " .", ",",
    ]
    static let endings = [".", ".", "!", "?", "...", "", " .", "\"", ".\"", ")."]
    static let tails = ["", "", "", " ", "\n", " \t", "\u{A0}"]

    /// A word or, one time in four, a number: decimals, thousands, ranges, money, percent.
    mutating func piece() -> String {
        guard rng.index(below: 4) == 0 else { return Self.words[rng.index(below: Self.words.count)] }
        switch rng.index(below: 8) {
        case 0: return "\(rng.index(below: 100)).\(rng.index(below: 10))"
        case 1: return "\(1 + rng.index(below: 9)),\(String(1000 + rng.index(below: 1000)).dropFirst())"
        case 2: return "\(1900 + rng.index(below: 100))-\(2000 + rng.index(below: 30))"
        case 3: return "$\(rng.index(below: 500))"
        case 4: return "\(rng.index(below: 100))%"
        case 5: return "-\(rng.index(below: 10))"
        case 6: return "\(rng.index(below: 10))."
        default: return "\(rng.index(below: 1000))"
        }
    }

    /// `pieces` pieces, each with the separator before the next (the last one's: the ending).
    mutating func segment(pieces: Int) -> [(piece: String, separator: String)] {
        var segment = (0..<pieces).map { _ in (piece: piece(), separator: Self.separators[rng.index(below: Self.separators.count)]) }
        segment[pieces - 1].separator = Self.endings[rng.index(below: Self.endings.count)] + Self.tails[rng.index(below: Self.tails.count)]
        return segment
    }

    static func render(_ segment: [(piece: String, separator: String)]) -> String {
        segment.map { $0.piece + $0.separator }.joined()
    }

    /// A hypothesis made from `reference`: mostly a few edits (delete, insert, replace,
    /// swap, another separator), sometimes the same, empty, or unrelated.
    mutating func perturbed(_ reference: [(piece: String, separator: String)]) -> [(piece: String, separator: String)] {
        switch rng.index(below: 20) {
        case 0: return []
        case 1:
            let length = 1 + rng.index(below: 12)
            return segment(pieces: length)
        case 2, 3, 4: return reference
        default: break
        }
        var hypothesis = reference
        for _ in 0..<(1 + rng.index(below: 3)) {
            let i = rng.index(below: hypothesis.count)
            switch rng.index(below: 5) {
            case 0 where hypothesis.count > 1: hypothesis.remove(at: i)
            case 1:
                let new = piece()
                hypothesis.insert((new, " "), at: i)
            case 2:
                let new = piece()
                hypothesis[i].piece = new
            case 3 where i + 1 < hypothesis.count: hypothesis.swapAt(i, i + 1)
            default: hypothesis[i].separator = Self.separators[rng.index(below: Self.separators.count)]
            }
        }
        return hypothesis
    }
}
