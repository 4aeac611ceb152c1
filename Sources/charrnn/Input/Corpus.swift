import RNN
import RNNTraining

/// A file as tokens of a `TextUnit`: the vocabulary (the text's own, or a checkpoint's)
/// and the token of every character, byte or word, plus a fingerprint to recognize the file.
///
/// Characters: the file is streamed twice through a 1 MiB buffer (`UTF8FileScanner`): the
/// first pass checks the UTF-8, counts the characters and takes the fingerprint, the second
/// writes each token in the narrowest type the vocabulary allows (`TokenSequence`). So a
/// text costs about its token count in bytes of memory (one byte per character up to 256
/// distinct ones), not several times its size. Bytes: the file itself, one token per
/// byte, any content. Words: the UTF-8 text split by `WordVocabulary`'s rule.
struct Corpus {
    let path: String
    let tokens: TokenSequence
    let vocabulary: TextVocabulary
    /// FNV-1a 64 of the file's bytes, in hex.
    let fingerprint: String

    /// Loads `path` as tokens of `unit`, or of `fixed`'s unit when given (a checkpoint's
    /// vocabulary). Without `fixed` the file's own vocabulary is used: its distinct
    /// characters sorted by code point, the 256 bytes, or its words by frequency (at most
    /// `vocabLimit`). With characters, ones outside `fixed` are an error naming them, or
    /// dropped with a warning when `skipUnknown` (`hint` ends that message); words
    /// outside it become `<unk>`.
    static func load(path: String, option: String, unit: TextUnit = .char, vocabulary fixed: TextVocabulary? = nil,
                     vocabLimit: Int? = nil, skipUnknown: Bool = false, hint: String = "") throws -> Corpus {
        switch fixed {
        case .characters(let characters)?:
            return try loadCharacters(path: path, option: option, vocabulary: characters, skipUnknown: skipUnknown, hint: hint)
        case .bytes?: return try loadBytes(path: path, option: option)
        case .words(let words)?: return try loadWords(path: path, option: option, vocabulary: words, limit: nil)
        case nil:
            switch unit {
            case .char: return try loadCharacters(path: path, option: option, vocabulary: nil, skipUnknown: skipUnknown, hint: hint)
            case .byte: return try loadBytes(path: path, option: option)
            case .word: return try loadWords(path: path, option: option, vocabulary: nil, limit: vocabLimit)
            }
        }
    }

    /// The characters of a UTF-8 file (see the type).
    /// - Complexity: O(n) for n bytes, two passes; O(tokens) memory.
    private static func loadCharacters(path: String, option: String, vocabulary fixed: Vocabulary?,
                                       skipUnknown: Bool, hint: String) throws -> Corpus {
        // Held at once: the tokens (at most 4 bytes for each byte of the file).
        let file = try TextFile.open(path, option: option, memoryPerByte: 4)
        defer { file.close() }
        if file.size == 0 { throw TextFile.empty(path: path, option: option) }
        let scanner = UTF8FileScanner(file: file)

        var census = CharacterCensus()
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        try TextFile.scan(scanner, path: path, option: option) { try scanner.scan(into: &census, fingerprint: &hash) }
        let fingerprint = String(hash, radix: 16)

        let vocabulary = fixed ?? Vocabulary(characters: census.characters.sorted { $0.value < $1.value })
        let unknown = census.characters.filter { vocabulary.token(for: $0) == nil }
        let dropped = unknown.reduce(0) { $0 + census.occurrences(of: $1) }
        if !unknown.isEmpty {
            let shown = unknown.prefix(8).map { CheckpointError.describe($0) }.joined(separator: ", ")
            let more = unknown.count > 8 ? " and \(unknown.count - 8) more" : ""
            let what = "\(option) file '\(path)' has \(Format.plural(unknown.count, "character")) that the checkpoint's vocabulary of \(vocabulary.count) lacks: \(shown)\(more)"
            guard skipUnknown else { throw CLIError(what + hint) }
            Console.warning("\(what); dropped \(Format.plural(dropped, "occurrence"))")
        }
        let kept = census.total - dropped
        let tokens: TokenSequence
        switch TokenSequence.width(vocabularySize: vocabulary.count) {
        case 1: tokens = TokenSequence(.uint8(try encode(scanner, vocabulary, count: kept, path: path, option: option)))
        case 2: tokens = TokenSequence(.uint16(try encode(scanner, vocabulary, count: kept, path: path, option: option)))
        default: tokens = TokenSequence(.int32(try encode(scanner, vocabulary, count: kept, path: path, option: option)))
        }
        return Corpus(path: path, tokens: tokens, vocabulary: .characters(vocabulary), fingerprint: fingerprint)
    }

    /// Every byte of the file, as is.
    private static func loadBytes(path: String, option: String) throws -> Corpus {
        let file = try TextFile.open(path, option: option, memoryPerByte: 2)
        defer { file.close() }
        if file.size == 0 { throw CLIError("\(option) file '\(path)' is empty; give a file with some bytes") }
        let bytes = try TextFile.readAll(file, path: path, option: option)
        return Corpus(path: path, tokens: TokenSequence(.uint8(bytes)), vocabulary: .bytes, fingerprint: fingerprint(bytes))
    }

    /// The words of a UTF-8 text; without `fixed`, the text's own `limit` most frequent.
    private static func loadWords(path: String, option: String, vocabulary fixed: WordVocabulary?, limit: Int?) throws -> Corpus {
        // Held at once: the bytes, the string and the tokens (4 bytes for each word of ≥ 2 bytes).
        let text = try TextFile.read(path, option: option, memoryPerByte: 5)
        let vocabulary = fixed ?? WordVocabulary(counting: text, limit: limit)
        if fixed == nil && vocabulary.count < 4 {
            let words = vocabulary.words.dropFirst(2).map { "'\($0)'" }.joined(separator: ", ")
            throw CLIError("\(option) file '\(path)' has \(Format.plural(vocabulary.count - 2, "distinct word"))\(words.isEmpty ? "" : " (\(words))"); --unit word needs at least 2 to learn from; use a longer text, or --unit char")
        }
        let tokens = vocabulary.encode(text)
        let sequence: TokenSequence
        switch TokenSequence.width(vocabularySize: vocabulary.count) {
        case 1: sequence = TokenSequence(.uint8(tokens.map { UInt8($0) }))
        case 2: sequence = TokenSequence(.uint16(tokens.map { UInt16($0) }))
        default: sequence = TokenSequence(.int32(tokens))
        }
        return Corpus(path: path, tokens: sequence, vocabulary: .words(vocabulary), fingerprint: fingerprint(Array(text.utf8)))
    }

    /// FNV-1a 64 of `bytes`, in hex (as `UTF8FileScanner` folds it).
    private static func fingerprint(_ bytes: [UInt8]) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in bytes { hash = (hash ^ UInt64(b)) &* 0x100_0000_01b3 }
        return String(hash, radix: 16)
    }

    /// The second pass: the tokens of the file's characters that `vocabulary` has.
    private static func encode<T: FixedWidthInteger>(_ scanner: UTF8FileScanner, _ vocabulary: Vocabulary, count: Int,
                                                     path: String, option: String) throws -> [T] {
        var failure: (any Error)?
        // Written in place: no second copy of the tokens.
        let tokens = [T](unsafeUninitializedCapacity: max(count, 1)) { buffer, initialized in
            var sink = Encoder<T>(vocabulary: vocabulary, output: buffer)
            do { try TextFile.scan(scanner, path: path, option: option) { try scanner.scan(into: &sink) } } catch { failure = error }
            initialized = min(sink.written, buffer.count)
            if sink.written != count { failure = failure ?? CLIError("\(option) file '\(path)' changed while it was read; try again") }
        }
        if let failure { throw failure }
        return count == 0 ? [] : tokens
    }
}

/// The first pass: which characters occur, in order of first appearance, and how often.
private struct CharacterCensus: ScalarSink {
    /// Counts of the 128 ASCII characters, behind a reference so that counting does not
    /// check the array for sharing at every character.
    private final class ASCIICounts {
        let counts = UnsafeMutablePointer<Int>.allocate(capacity: 128)
        init() { counts.initialize(repeating: 0, count: 128) }
        deinit { counts.deallocate() }
    }
    private let ascii = ASCIICounts()
    private var otherCounts: [UInt32: Int] = [:]
    /// The distinct characters in order of first appearance.
    private(set) var characters: [Unicode.Scalar] = []

    /// The number of characters.
    var total: Int { (0..<128).reduce(0) { $0 + ascii.counts[$1] } + otherCounts.values.reduce(0, +) }

    mutating func ascii(_ byte: UInt8) {
        let i = Int(byte)
        if ascii.counts[i] == 0 { characters.append(Unicode.Scalar(byte)) }
        ascii.counts[i] &+= 1
    }

    mutating func scalar(_ value: UInt32) {
        let n = otherCounts[value, default: 0]
        if n == 0 { characters.append(Unicode.Scalar(value)!) }
        otherCounts[value] = n + 1
    }

    func occurrences(of c: Unicode.Scalar) -> Int {
        c.value < 128 ? ascii.counts[Int(c.value)] : otherCounts[c.value] ?? 0
    }
}

/// The second pass: each character's token appended (characters outside the vocabulary
/// skipped), through a table for ASCII.
private struct Encoder<T: FixedWidthInteger>: ScalarSink {
    private var asciiTokens = [Int32](repeating: -1, count: 128)
    private let vocabulary: Vocabulary
    /// Where the tokens go (not owned); `written` of them are set.
    private let output: UnsafeMutableBufferPointer<T>
    private(set) var written = 0

    init(vocabulary: Vocabulary, output: UnsafeMutableBufferPointer<T>) {
        self.vocabulary = vocabulary
        for b in 0..<128 { asciiTokens[b] = vocabulary.token(for: Unicode.Scalar(UInt8(b))) ?? -1 }
        self.output = output
    }

    mutating func ascii(_ byte: UInt8) {
        let t = asciiTokens[Int(byte)]
        if t >= 0 { append(T(truncatingIfNeeded: t)) }
    }

    mutating func scalar(_ value: UInt32) {
        if let t = vocabulary.token(for: Unicode.Scalar(value)!) { append(T(truncatingIfNeeded: t)) }
    }

    /// Tokens past the room (the file grew while read) are counted but not stored.
    private mutating func append(_ t: T) {
        if written < output.count { output[written] = t }
        written += 1
    }
}
