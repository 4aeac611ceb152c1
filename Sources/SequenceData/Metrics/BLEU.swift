import Foundation

/// Corpus BLEU of translations against one reference each, computed as sacrebleu computes
/// it by default (`sacrebleu.corpus_bleu(hypotheses, [references])`, sacrebleu 2.x):
/// the "13a" tokenization (``tokenize13a(_:)``), n-grams of orders 1 to 4, case kept.
///
/// - n-gram counts are clipped by the reference's counts line by line, then summed over
///   the corpus; precision pₙ = 100 · matchedₙ / totalₙ, in percent;
/// - an order with no match takes sacrebleu's 'exp' smoothing (the NIST smoothing of
///   mteval-v13a): the k-th such order scores pₙ = 100 / (2ᵏ · totalₙ);
/// - BLEU = BP · exp((ln p₁ + ln p₂ + ln p₃ + ln p₄) / 4), in 0...100, with the brevity
///   penalty BP = exp(1 − r / c) when the hypotheses' total length c (in tokens) is below
///   the references' r, else 1 (0 when c = 0);
/// - as in sacrebleu, the score is 0 when no n-gram of any order matches, and when the
///   corpus has no n-gram of some order (every hypothesis shorter than that order): the
///   precisions after that order stay 0 and no effective order is used.
///
/// Tokens are compared by Unicode scalars, as Python compares strings: a precomposed
/// "é" and "e" + U+0301 are different tokens (Swift's `String` would call them equal).
///
/// ```swift
/// let bleu = BLEU(hypotheses: ["The cat sat on a mat."], references: ["The cat sat on the mat."])
/// bleu.score        // 48.89: 6 of 7 unigrams match, 4 of 6 bigrams, 2 of 5 trigrams, 1 of 4 4-grams
/// bleu.precisions   // [85.71, 66.67, 40.0, 25.0]
/// ```
///
/// - Complexity: O(L) expected time and memory for L characters of text in all.
public struct BLEU: Codable, Equatable, Sendable {
    /// The highest n-gram order (sacrebleu's default, `max_ngram_order=4`).
    public static let maxOrder = 4

    /// BLEU in percent, 0...100 (sacrebleu's `score`).
    public var score: Double
    /// pₙ for n = 1...4 in percent, smoothed where an order matched nothing (sacrebleu's
    /// `precisions`).
    public var precisions: [Double]
    /// The clipped matched n-grams of each order, over the corpus (sacrebleu's `counts`).
    public var counts: [Int]
    /// The hypotheses' n-grams of each order, over the corpus (sacrebleu's `totals`).
    public var totals: [Int]
    /// The brevity penalty, in 0...1 (sacrebleu's `bp`).
    public var brevityPenalty: Double
    /// The number of hypothesis tokens (sacrebleu's `sys_len`).
    public var hypothesisLength: Int
    /// The number of reference tokens (sacrebleu's `ref_len`).
    public var referenceLength: Int

    /// The hypotheses' length over the references' (0 without reference tokens).
    public var ratio: Double { referenceLength > 0 ? Double(hypothesisLength) / Double(referenceLength) : 0 }

    /// Scores `hypotheses` against `references`, line `i` against line `i`.
    ///
    /// Each line loses its trailing whitespace and is tokenized by ``tokenize13a(_:)``.
    /// An empty corpus scores 0 with a brevity penalty of 1 (sacrebleu rejects it).
    ///
    /// - Parameters:
    ///   - hypotheses: the system's output, one segment a line, detokenized.
    ///   - references: the reference translation of each hypothesis, as many.
    /// - Precondition: as many references as hypotheses (sacrebleu would silently stop at
    ///   the shorter list).
    /// - Complexity: O(L) expected for L characters in all.
    public init(hypotheses: [String], references: [String]) {
        precondition(
            hypotheses.count == references.count, "\(hypotheses.count) hypotheses for \(references.count) references")
        var interned: [[Unicode.Scalar]: Int] = [:]
        func ids(_ line: String) -> [Int] {
            Self.tokens13a(line).map { token in
                if let id = interned[token] { return id }
                interned[token] = interned.count
                return interned.count - 1
            }
        }
        var matched = [Int](repeating: 0, count: Self.maxOrder), totals = matched
        var hypothesisLength = 0, referenceLength = 0
        for (hypothesis, reference) in zip(hypotheses, references) {
            let h = ids(hypothesis), r = ids(reference)
            hypothesisLength += h.count
            referenceLength += r.count
            let available = NGram.counts(r)
            for (gram, count) in NGram.counts(h) {
                totals[gram.order - 1] += count
                matched[gram.order - 1] += min(count, available[gram] ?? 0)
            }
        }
        self.init(counts: matched, totals: totals, hypothesisLength: hypothesisLength, referenceLength: referenceLength)
    }

    /// The score of summed statistics, as sacrebleu's `BLEU.compute_bleu` with
    /// `smooth_method='exp'` and no effective order.
    private init(counts: [Int], totals: [Int], hypothesisLength: Int, referenceLength: Int) {
        self.counts = counts
        self.totals = totals
        self.hypothesisLength = hypothesisLength
        self.referenceLength = referenceLength
        brevityPenalty =
            hypothesisLength >= referenceLength
            ? 1 : hypothesisLength > 0 ? exp(1 - Double(referenceLength) / Double(hypothesisLength)) : 0
        precisions = [Double](repeating: 0, count: Self.maxOrder)
        score = 0
        guard counts.contains(where: { $0 != 0 }) else { return }
        var smoothing = 1.0
        for n in 0..<Self.maxOrder {
            if totals[n] == 0 { break }
            if counts[n] == 0 {
                smoothing *= 2
                precisions[n] = 100 / (smoothing * Double(totals[n]))
            } else {
                precisions[n] = 100 * Double(counts[n]) / Double(totals[n])
            }
        }
        // sacrebleu's `my_log`: log 0 is -9999999999, so the score underflows to 0.
        let logs = precisions.reduce(0.0) { $0 + ($1 == 0 ? -9_999_999_999 : log($1)) }
        score = brevityPenalty * exp(logs / Double(Self.maxOrder))
    }

    /// The tokens of `line` by sacrebleu's "13a" tokenizer (`tokenizer_13a.py`, the rules
    /// of mteval-v13a.pl), after removing trailing whitespace as sacrebleu does first.
    ///
    /// In order: `<skipped>` is removed, `-` before a line break joins the lines, line
    /// breaks become spaces, and `&quot;` `&amp;` `&lt;` `&gt;` become `"` `&` `<` `>`;
    /// then each of `{ | } ~ [ \ ] ^ _ ! " # $ % & ( ) * + : ; < = > ? @ /` and the backtick
    /// is set apart, a period or comma is set apart unless it has a digit on both sides,
    /// and a dash after a digit is set apart. Tokens are what is left between whitespace (Python's `str.split()`).
    ///
    /// ```swift
    /// BLEU.tokenize13a("Hello, world!")            // ["Hello", ",", "world", "!"]
    /// BLEU.tokenize13a("3.5 of 1,000 (1990-2000)") // ["3.5", "of", "1,000", "(", "1990", "-", "2000", ")"]
    /// ```
    ///
    /// - Parameter line: one segment of detokenized text.
    /// - Returns: its tokens, none empty.
    /// - Complexity: O(n) for n Unicode scalars.
    public static func tokenize13a(_ line: String) -> [String] {
        tokens13a(line).map { String(String.UnicodeScalarView($0)) }
    }

    /// ``tokenize13a(_:)`` as Unicode scalars, the form n-grams are compared in.
    static func tokens13a(_ line: String) -> [[Unicode.Scalar]] {
        var s = Array(line.unicodeScalars)
        while let last = s.last, isPythonSpace(last) { s.removeLast() }  // `sent.rstrip()`
        for (old, new) in [
            ("<skipped>", ""), ("-\n", ""), ("\n", " "),
            ("&quot;", "\""), ("&amp;", "&"), ("&lt;", "<"), ("&gt;", ">"),
        ] {
            s = replacing(Array(old.unicodeScalars), with: Array(new.unicodeScalars), in: s)
        }
        // `([\{-\~\[-\` -\&\(-\+\:-\@\/])` -> ` \1 `, on ` line `.
        var padded: [Unicode.Scalar] = [" "]
        padded.reserveCapacity(3 * s.count + 2)
        for c in s {
            switch c.value {
            case 0x7B...0x7E, 0x5B...0x60, 0x20...0x26, 0x28...0x2B, 0x3A...0x40, 0x2F: padded += [" ", c, " "]
            default: padded.append(c)
            }
        }
        padded.append(" ")
        func isDigit(_ c: Unicode.Scalar) -> Bool { ("0"..."9").contains(c) }
        func isPeriodOrComma(_ c: Unicode.Scalar) -> Bool { c == "." || c == "," }
        // `([^0-9])([\.,])` -> `\1 \2 `
        padded = substitutingPairs(padded) { a, b in !isDigit(a) && isPeriodOrComma(b) ? [a, " ", b, " "] : nil }
        // `([\.,])([^0-9])` -> ` \1 \2`
        padded = substitutingPairs(padded) { a, b in isPeriodOrComma(a) && !isDigit(b) ? [" ", a, " ", b] : nil }
        // `([0-9])(-)` -> `\1 \2 `
        padded = substitutingPairs(padded) { a, b in isDigit(a) && b == "-" ? [a, " ", b, " "] : nil }
        return padded.split(whereSeparator: isPythonSpace).map(Array.init)
    }

    /// Whether Python's `str.isspace()` holds for `c` (what `split()` and `rstrip()` cut
    /// at): Unicode's White_Space characters and the separators U+001C...U+001F.
    private static func isPythonSpace(_ c: Unicode.Scalar) -> Bool {
        switch c.value {
        case 0x09...0x0D, 0x1C...0x20, 0x85, 0xA0, 0x1680, 0x2000...0x200A, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000: return true
        default: return false
        }
    }

    /// Python's `s.replace(old, new)`: every non-overlapping `old`, left to right.
    private static func replacing(_ old: [Unicode.Scalar], with new: [Unicode.Scalar], in s: [Unicode.Scalar]) -> [Unicode.Scalar] {
        var out: [Unicode.Scalar] = []
        out.reserveCapacity(s.count)
        var i = 0
        while i < s.count {
            if i + old.count <= s.count && s[i..<(i + old.count)].elementsEqual(old) {
                out += new
                i += old.count
            } else {
                out.append(s[i])
                i += 1
            }
        }
        return out
    }

    /// Python's `re.sub` of a pattern that matches exactly two characters: scanning left
    /// to right, each pair that `replacement` accepts is replaced and skipped whole.
    private static func substitutingPairs(
        _ s: [Unicode.Scalar], _ replacement: (Unicode.Scalar, Unicode.Scalar) -> [Unicode.Scalar]?
    ) -> [Unicode.Scalar] {
        var out: [Unicode.Scalar] = []
        out.reserveCapacity(s.count + s.count / 2)
        var i = 0
        while i < s.count {
            if i + 1 < s.count, let pair = replacement(s[i], s[i + 1]) {
                out += pair
                i += 2
            } else {
                out.append(s[i])
                i += 1
            }
        }
        return out
    }

    enum CodingKeys: String, CodingKey {
        case score = "bleu"
        case precisions
        case counts
        case totals
        case brevityPenalty = "bp"
        case hypothesisLength = "sys_len"
        case referenceLength = "ref_len"
    }
}

/// An n-gram of 1...4 token ids (unused places are -1).
private struct NGram: Hashable {
    var ids: (Int, Int, Int, Int)

    var order: Int { ids.3 >= 0 ? 4 : ids.2 >= 0 ? 3 : ids.1 >= 0 ? 2 : 1 }

    static func == (a: NGram, b: NGram) -> Bool { a.ids == b.ids }

    func hash(into hasher: inout Hasher) {
        hasher.combine(ids.0)
        hasher.combine(ids.1)
        hasher.combine(ids.2)
        hasher.combine(ids.3)
    }

    /// The count of every n-gram of `tokens`, orders 1 to `BLEU.maxOrder`.
    static func counts(_ tokens: [Int]) -> [NGram: Int] {
        var counts: [NGram: Int] = [:]
        for n in 1...BLEU.maxOrder where tokens.count >= n {
            for i in 0...(tokens.count - n) {
                let gram = NGram(
                    ids: (tokens[i], n > 1 ? tokens[i + 1] : -1, n > 2 ? tokens[i + 2] : -1, n > 3 ? tokens[i + 3] : -1))
                counts[gram, default: 0] += 1
            }
        }
        return counts
    }
}
