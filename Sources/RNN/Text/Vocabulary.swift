/// The characters (Unicode scalars) of a text, in a stable order (ascending code
/// point), mapped to token indices `0..<count`.
///
/// ```swift
/// let vocab = Vocabulary(text: "hey how")   // [" ", "e", "h", "o", "w", "y"]
/// let ids = try vocab.encode("how")          // [2, 3, 4]
/// vocab.decode(ids)                          // "how"
/// ```
public struct Vocabulary: Equatable, Sendable {
    /// The characters, index = token.
    public let characters: [Unicode.Scalar]
    private let index: [Unicode.Scalar: Int32]

    /// The vocabulary of `text`: its distinct scalars, sorted by code point.
    public init<S: StringProtocol>(text: S) {
        self.init(characters: Array(Set(text.unicodeScalars)).sorted { $0.value < $1.value })
    }

    /// A vocabulary with exactly these characters in this order (no duplicates).
    public init(characters: [Unicode.Scalar]) {
        var index: [Unicode.Scalar: Int32] = [:]
        for (i, c) in characters.enumerated() {
            precondition(index[c] == nil, "duplicate character \(c.escaped(asASCII: true)) in vocabulary")
            index[c] = Int32(i)
        }
        self.characters = characters
        self.index = index
    }

    public var count: Int { characters.count }

    /// The token of `c`, or nil when `c` is not in the vocabulary.
    public func token(for c: Unicode.Scalar) -> Int32? { index[c] }

    /// Tokens of `text`; throws `unknownCharacter` naming the first character not in the vocabulary.
    public func encode<S: StringProtocol>(_ text: S) throws -> [Int32] {
        var out: [Int32] = []
        out.reserveCapacity(text.unicodeScalars.count)
        for (offset, c) in text.unicodeScalars.enumerated() {
            guard let t = index[c] else { throw VocabularyError.unknownCharacter(c, offset: offset) }
            out.append(t)
        }
        return out
    }

    /// The text of `tokens`.
    public func decode(_ tokens: [Int32]) -> String {
        var s = String.UnicodeScalarView()
        for t in tokens { s.append(characters[Int(t)]) }
        return String(s)
    }

    /// The characters as one string (used to store the vocabulary in checkpoints).
    public var joined: String { var s = String.UnicodeScalarView(); s.append(contentsOf: characters); return String(s) }

    public static func == (a: Vocabulary, b: Vocabulary) -> Bool { a.characters == b.characters }
}

/// Errors mapping text to tokens.
public enum VocabularyError: Error, Equatable, CustomStringConvertible {
    case unknownCharacter(Unicode.Scalar, offset: Int)

    public var description: String {
        switch self {
        case .unknownCharacter(let c, let offset):
            return
                "character '\(c.escaped(asASCII: false))' (U+\(String(c.value, radix: 16, uppercase: true))) at offset \(offset) is not in the model's vocabulary"
        }
    }
}
