/// Words as tokens, pytorch/examples' word_language_model style: `<unk>` (token 0) for a
/// word outside the vocabulary, `<eos>` (token 1) at the end of every line, then the words.
///
/// **The splitting rule** (`tokenize`): a line is cut at whitespace; inside each piece,
/// a word is a run of letters, digits and combining marks, which may hold an apostrophe
/// (`'` or `’`) or a hyphen between two such characters (`don't`, `well-known`); every
/// other character — punctuation, symbols — is a token of its own. Case is kept. Each line
/// ends with `<eos>` (a final line without a newline too).
///
/// **Joining** (`decode`): words are separated by one space, except before closing
/// punctuation (`. , ; : ! ? ) ] } %`) and after opening brackets (`( [ {`); `<eos>` is a
/// newline. So text whose words are single-spaced that way round-trips exactly.
///
/// ```swift
/// let words = WordVocabulary(counting: "the cat sat.\nthe dog ran!\n", limit: nil)
/// let tokens = words.encode("the cat ran.")    // [the, cat, ran, ".", <eos>]
/// words.decode(tokens)                          // "the cat ran.\n"
/// ```
public struct WordVocabulary: Equatable, Sendable {
    public static let unknown = "<unk>"
    public static let endOfLine = "<eos>"
    public static let unknownToken: Int32 = 0
    public static let endOfLineToken: Int32 = 1

    /// The words, index = token: `<unk>`, `<eos>`, then the text's words.
    public let words: [String]
    private let index: [String: Int32]

    /// A vocabulary with exactly these words in this order: distinct, no whitespace, the
    /// first two `<unk>` and `<eos>`.
    public init(words: [String]) {
        precondition(
            words.count >= 2 && words[0] == Self.unknown && words[1] == Self.endOfLine,
            "a word vocabulary starts with \(Self.unknown) and \(Self.endOfLine)")
        var index: [String: Int32] = [:]
        for (i, w) in words.enumerated() {
            precondition(index[w] == nil, "duplicate word '\(w)' in vocabulary")
            precondition(!w.isEmpty && !w.unicodeScalars.contains { $0.properties.isWhitespace }, "a word has no whitespace: '\(w)'")
            index[w] = Int32(i)
        }
        self.words = words
        self.index = index
    }

    /// The vocabulary of `text`: its words, the most frequent first (ties in order of
    /// first appearance), at most `limit` of them (nil: all); the rest become `<unk>`.
    /// - Complexity: O(n) for n characters, plus O(W log W) for W distinct words.
    public init<S: StringProtocol>(counting text: S, limit: Int?) {
        var counts: [Substring: (count: Int, first: Int)] = [:]
        var order = 0
        Self.forEachToken(in: text) { token in
            guard let token else { return }
            if let seen = counts[token] { counts[token] = (seen.count + 1, seen.first) } else { counts[token] = (1, order); order += 1 }
        }
        let ranked = counts.filter { $0.key != Substring(Self.unknown) && $0.key != Substring(Self.endOfLine) }
            .sorted { $0.value.count != $1.value.count ? $0.value.count > $1.value.count : $0.value.first < $1.value.first }
        let kept = limit.map { Array(ranked.prefix($0)) } ?? ranked
        self.init(words: [Self.unknown, Self.endOfLine] + kept.map { String($0.key) })
    }

    public var count: Int { words.count }

    /// The token of `word`, or nil when it is not in the vocabulary.
    public func token(for word: some StringProtocol) -> Int32? { index[String(word)] }

    /// The tokens of `text` by the splitting rule; a word not in the vocabulary is `<unk>`.
    /// With `closingLastLine` false, a last line without a newline gets no `<eos>` (a
    /// prime that the model continues).
    public func encode<S: StringProtocol>(_ text: S, closingLastLine: Bool = true) -> [Int32] {
        var out: [Int32] = []
        Self.forEachToken(in: text, closingLastLine: closingLastLine) { token in
            out.append(token.map { index[String($0)] ?? Self.unknownToken } ?? Self.endOfLineToken)
        }
        return out
    }

    /// The pieces of `text` by the splitting rule, `<eos>` after each line.
    public static func tokenize<S: StringProtocol>(_ text: S) -> [String] {
        var out: [String] = []
        forEachToken(in: text) { out.append($0.map(String.init) ?? endOfLine) }
        return out
    }

    /// The text of `tokens`, joined as the type describes.
    public func decode(_ tokens: [Int32]) -> String {
        var out: [UInt8] = []
        var previous: Int32? = nil
        for t in tokens {
            appendUTF8(of: t, after: previous, to: &out)
            previous = t
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Appends the UTF-8 of token `t` as it follows `previous` (nil: the start of the
    /// text) — a newline for `<eos>`, else the space the joining rule puts before it, and
    /// the word. No allocation when `out` has room.
    public func appendUTF8(of t: Int32, after previous: Int32?, to out: inout [UInt8]) {
        if t == Self.endOfLineToken { return out.append(10) }
        let word = words[Int(t)]
        let lineStart = previous == nil || previous == Self.endOfLineToken
        let afterOpening = previous.map { isSingle(words[Int($0)], in: Self.opening) } ?? false
        if !lineStart && !afterOpening && !isSingle(word, in: Self.closing) { out.append(32) }
        out.append(contentsOf: word.utf8)
    }

    private func isSingle(_ word: String, in set: Set<Unicode.Scalar>) -> Bool {
        var scalars = word.unicodeScalars.makeIterator()
        guard let first = scalars.next(), scalars.next() == nil else { return false }
        return set.contains(first)
    }

    private static let closing: Set<Unicode.Scalar> = [".", ",", ";", ":", "!", "?", ")", "]", "}", "%"]
    private static let opening: Set<Unicode.Scalar> = ["(", "[", "{"]

    /// Calls `body` with each token of `text` in order: a word or punctuation mark, or nil
    /// for the end of a line.
    static func forEachToken<S: StringProtocol>(in text: S, closingLastLine: Bool = true, _ body: (Substring?) -> Void) {
        let string = Substring(text)
        let scalars = string.unicodeScalars
        var i = scalars.startIndex
        var lineHasContent = false
        func isWordScalar(_ c: Unicode.Scalar) -> Bool {
            let p = c.properties
            return p.isAlphabetic || p.numericType != nil
                || [.nonspacingMark, .spacingMark, .enclosingMark].contains(p.generalCategory)
        }
        while i < scalars.endIndex {
            let c = scalars[i]
            if c == "\n" {
                body(nil)
                lineHasContent = false
                i = scalars.index(after: i)
                continue
            }
            lineHasContent = true
            if c.properties.isWhitespace {
                i = scalars.index(after: i)
                continue
            }
            guard isWordScalar(c) else {
                let next = scalars.index(after: i)
                body(string[i..<next])
                i = next
                continue
            }
            var end = scalars.index(after: i)
            while end < scalars.endIndex {
                let d = scalars[end]
                if isWordScalar(d) { end = scalars.index(after: end); continue }
                // A joiner between two word characters stays in the word.
                if d == "'" || d == "’" || d == "-" {
                    let after = scalars.index(after: end)
                    if after < scalars.endIndex && isWordScalar(scalars[after]) { end = after; continue }
                }
                break
            }
            body(string[i..<end])
            i = end
        }
        if lineHasContent && closingLastLine { body(nil) }
    }
}
