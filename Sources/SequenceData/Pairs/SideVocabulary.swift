import RNN

/// The tokens of one side of text pairs: its unit (`char`, `word` or `byte`), the special
/// symbols first (`<unk>` at 0; a target side also has `<s>` and `</s>`), then the
/// symbols of the training texts, the most frequent first.
///
/// Words follow `WordVocabulary`'s splitting and joining rules; bytes are the 256 byte
/// values of the UTF-8 text (nothing is unknown).
///
/// ```swift
/// let target = SideVocabulary(unit: .char, counting: ["2019-03-03"], specials: SideVocabulary.targetSpecials, limit: nil)
/// let tokens = target.encode("2019-03-03")     // [.., ..]: 10 tokens
/// target.decode(tokens)                         // "2019-03-03"
/// ```
/// - Complexity: counting O(characters) plus O(S log S) for S distinct symbols; `encode`
///   and `decode` O(length).
public struct SideVocabulary: Codable, Equatable, Sendable {
    public static let unknown = "<unk>"
    public static let start = "<s>"
    public static let end = "</s>"
    /// A source side's specials: `<unk>`.
    public static let sourceSpecials = [unknown]
    /// A target side's specials: `<unk>`, `<s>` (the decoder's first input), `</s>` (its last output).
    public static let targetSpecials = [unknown, start, end]

    public let unit: TextUnit
    /// Index = token: the specials, then the symbols.
    public let symbols: [String]
    /// How many of `symbols` are specials.
    public let specialCount: Int
    private let index: [String: Int32]
    /// `word`: the learned symbols as a `WordVocabulary`, for its joining rule.
    private let words: WordVocabulary?

    private enum CodingKeys: String, CodingKey { case unit, symbols, specialCount }

    /// The vocabulary of `texts` in `unit`: `specials`, then at most `limit` symbols
    /// (nil: all; bytes: always all 256) by frequency, ties in order of first appearance.
    public init(unit: TextUnit, counting texts: [String], specials: [String], limit: Int?) {
        var ranked: [String]
        if unit == .byte {
            ranked = (0..<256).map { Self.byteSymbol(UInt8($0)) }
        } else {
            var counts: [String: (count: Int, first: Int)] = [:]
            for text in texts {
                for symbol in Self.split(text, unit) {
                    if let seen = counts[symbol] {
                        counts[symbol] = (seen.count + 1, seen.first)
                    } else {
                        counts[symbol] = (1, counts.count)
                    }
                }
            }
            ranked = counts.filter { !specials.contains($0.key) }
                .sorted { $0.value.count != $1.value.count ? $0.value.count > $1.value.count : $0.value.first < $1.value.first }
                .map(\.key)
            if let limit { ranked = Array(ranked.prefix(max(0, limit))) }
        }
        self.init(unit: unit, symbols: specials + ranked, specialCount: specials.count)
    }

    private init(unit: TextUnit, symbols: [String], specialCount: Int) {
        self.unit = unit
        self.symbols = symbols
        self.specialCount = specialCount
        var index: [String: Int32] = [:]
        for (i, s) in symbols.enumerated() where index[s] == nil { index[s] = Int32(i) }
        self.index = index
        words = unit == .word ? WordVocabulary(words: [WordVocabulary.unknown, WordVocabulary.endOfLine] + symbols[specialCount...]) : nil
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let unit = try c.decode(String.self, forKey: .unit)
        guard let parsed = TextUnit(rawValue: unit) else {
            throw DecodingError.dataCorruptedError(forKey: .unit, in: c, debugDescription: "unknown unit '\(unit)'")
        }
        let symbols = try c.decode([String].self, forKey: .symbols)
        let specials = try c.decode(Int.self, forKey: .specialCount)
        guard (1...symbols.count).contains(specials), symbols.first == Self.unknown, Set(symbols).count == symbols.count,
            parsed != .byte || symbols.count == specials + 256,
            parsed != .word
                || symbols[specials...].allSatisfy({
                    !$0.isEmpty && $0 != WordVocabulary.endOfLine && !$0.unicodeScalars.contains { $0.properties.isWhitespace }
                })
        else {
            throw DecodingError.dataCorruptedError(
                forKey: .symbols, in: c,
                debugDescription: "the symbols must be distinct and start with \(Self.unknown) (bytes: all 256; words: no whitespace)")
        }
        self.init(unit: parsed, symbols: symbols, specialCount: specials)
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(unit.rawValue, forKey: .unit)
        try c.encode(symbols, forKey: .symbols)
        try c.encode(specialCount, forKey: .specialCount)
    }

    /// `V`: the specials and the symbols.
    public var count: Int { symbols.count }
    /// The symbols learned from texts (the count besides the specials).
    public var learnedCount: Int { symbols.count - specialCount }
    /// The token of `symbol` (a special's too), or nil.
    public func token(_ symbol: String) -> Int32? { index[symbol] }

    /// The symbols of `text` in `unit`.
    public static func split(_ text: String, _ unit: TextUnit) -> [String] {
        switch unit {
        case .char: return text.unicodeScalars.map { String($0) }
        case .byte: return text.utf8.map(byteSymbol)
        case .word: return WordVocabulary.tokenize(text).filter { $0 != WordVocabulary.endOfLine }
        }
    }

    /// The tokens of `text`; a symbol outside the vocabulary is `<unk>` (0).
    public func encode(_ text: String) -> [Int32] { Self.split(text, unit).map { index[$0] ?? 0 } }

    /// How many symbols of `text` the vocabulary lacks.
    public func unknownCount(_ text: String) -> Int { Self.unknownCount(encode(text)) }

    /// How many of `tokens` (an `encode`'s) are `<unk>`: the symbols the vocabulary lacks
    /// (no symbol of a text is `<unk>` itself, which no split yields).
    public static func unknownCount(_ tokens: [Int32]) -> Int { tokens.filter { $0 == 0 }.count }

    /// The text of `tokens` (specials other than `<unk>` left out; `<unk>` written as is):
    /// characters and bytes joined, words by `WordVocabulary`'s joining rule.
    public func decode(_ tokens: [Int32]) -> String {
        let kept = tokens.filter { $0 == 0 || Int($0) >= specialCount }
        switch unit {
        case .char: return kept.map { symbols[Int($0)] }.joined()
        case .byte:
            return String(decoding: kept.compactMap { $0 == 0 ? nil : UInt8(Int($0) - specialCount) }, as: UTF8.self)
        case .word:
            var text = words!.decode(kept.map { $0 == 0 ? WordVocabulary.unknownToken : $0 - Int32(specialCount) + 2 })
            if text.hasSuffix("\n") { text.removeLast() }
            return text
        }
    }

    /// `\xHH`: how a byte is named among the symbols.
    static func byteSymbol(_ byte: UInt8) -> String {
        let hex = Array("0123456789abcdef")
        return "\\x\(hex[Int(byte >> 4)])\(hex[Int(byte & 15)])"
    }
}
