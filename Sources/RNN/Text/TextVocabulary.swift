/// What one token of a text is: `TextVocabulary`'s unit.
public enum TextUnit: String, CaseIterable, Sendable {
    /// A Unicode scalar of UTF-8 text (`Vocabulary`).
    case char
    /// A byte of any file: 256 symbols, no UTF-8 needed.
    case byte
    /// A word or punctuation mark, `<eos>` at line ends (`WordVocabulary`).
    case word

    /// `char`, `byte`, `word`: the unit in rates and per-token figures (`bits/char`).
    package var shortName: String { self == .char ? "char" : tokenName }

    /// `character`, `byte`, `word`: what one token is called in messages.
    public var tokenName: String {
        switch self {
        case .char: return "character"
        case .byte: return "byte"
        case .word: return "word"
        }
    }
}

/// How a text becomes tokens and tokens become output: the unit and its vocabulary.
///
/// ```swift
/// let chars = TextVocabulary.characters(Vocabulary(text: corpus))
/// let bytes = TextVocabulary.bytes                              // 256 tokens, any file
/// let words = TextVocabulary.words(WordVocabulary(counting: corpus, limit: 10_000))
/// let tokens = try words.encode("the cat sat.")                  // unknown words: <unk>
/// let output = words.decodeBytes(tokens)                        // UTF-8 of "the cat sat.\n"
/// ```
public enum TextVocabulary: Equatable, Sendable {
    case characters(Vocabulary)
    case bytes
    case words(WordVocabulary)

    public var unit: TextUnit {
        switch self {
        case .characters: return .char
        case .bytes: return .byte
        case .words: return .word
        }
    }

    /// The characters of a character vocabulary; nil for bytes and words.
    public var characterVocabulary: Vocabulary? {
        if case .characters(let v) = self { return v }
        return nil
    }

    /// The number of tokens (256 for bytes).
    public var count: Int {
        switch self {
        case .characters(let v): return v.count
        case .bytes: return 256
        case .words(let w): return w.count
        }
    }

    /// The tokens of `text` as a prefix to continue: its characters (throws
    /// `VocabularyError.unknownCharacter` for one outside the vocabulary), its UTF-8 bytes,
    /// or its words (unknown ones `<unk>`; `<eos>` for each newline, none after a last
    /// line without one).
    public func encode<S: StringProtocol>(_ text: S) throws -> [Int32] {
        switch self {
        case .characters(let v): return try v.encode(text)
        case .bytes: return text.utf8.map { Int32($0) }
        case .words(let w): return w.encode(text, closingLastLine: false)
        }
    }

    /// Appends token `t`'s output as it follows `previous` (nil: the start): a character's
    /// UTF-8, the byte itself, or a word with the space before it. No allocation when `out`
    /// has room — what streamed sampling writes token by token.
    public func appendBytes(of t: Int32, after previous: Int32?, to out: inout [UInt8]) {
        switch self {
        case .characters(let v):
            let c = v.characters[Int(t)]
            if c.value < 0x80 { return out.append(UInt8(c.value)) }
            UTF8.encode(c) { out.append($0) }
        case .bytes: out.append(UInt8(truncatingIfNeeded: t))
        case .words(let w): w.appendUTF8(of: t, after: previous, to: &out)
        }
    }

    /// The output of `tokens` as they follow `previous` (nil: the start): the UTF-8 of
    /// their text (characters, or words joined as `WordVocabulary.decode` says — with the
    /// space before the first one when it continues a line), or the bytes themselves.
    /// - Complexity: O(output), one `appendBytes` per token.
    public func decodeBytes(_ tokens: [Int32], after previous: Int32? = nil) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(tokens.count)
        var last = previous
        for t in tokens {
            appendBytes(of: t, after: last, to: &out)
            last = t
        }
        return out
    }

    /// The text of `tokens` (bytes that are not UTF-8 become U+FFFD).
    public func decode(_ tokens: [Int32]) -> String {
        switch self {
        case .characters(let v): return v.decode(tokens)
        case .bytes: return String(decoding: decodeBytes(tokens), as: UTF8.self)
        case .words(let w): return w.decode(tokens)
        }
    }

    /// The token of a line break (a newline, byte 10, `<eos>`), if the vocabulary has one:
    /// what generation starts after when it has no prime.
    public var lineBreak: Int32? {
        switch self {
        case .characters(let v): return v.token(for: "\n")
        case .bytes: return 10
        case .words: return WordVocabulary.endOfLineToken
        }
    }

    /// `76 characters`, `256 bytes`, `10,002 words`.
    public var summary: String { "\(count) \(unit.tokenName)\(count == 1 ? "" : "s")" }

    // MARK: - Metadata

    /// `unit` (absent for characters, the first format), and `vocabulary`: the
    /// characters in token order, or the words separated by newlines; none for bytes.
    public var metadata: [String: String] {
        switch self {
        case .characters(let v): return ["vocabulary": v.joined]
        case .bytes: return ["unit": TextUnit.byte.rawValue]
        case .words(let w): return ["unit": TextUnit.word.rawValue, "vocabulary": w.words.joined(separator: "\n")]
        }
    }
}
