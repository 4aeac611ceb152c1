import RNN
import RNNTraining

/// A text file as tokens: the vocabulary (the text's own, or a checkpoint's) and the
/// token of every character (Unicode scalar), plus a fingerprint to recognize the text.
///
/// Loading streams the file twice through a 1 MiB buffer (`UTF8FileScanner`): the first
/// pass checks the UTF-8, counts the characters and takes the fingerprint, the second
/// writes each token in the narrowest type the vocabulary allows (`TokenSequence`). So a
/// text costs about its token count in bytes of memory (one byte per character up to 256
/// distinct ones), not several times its size.
struct Corpus {
    let path: String
    let tokens: TokenSequence
    let vocabulary: Vocabulary
    /// FNV-1a 64 of the UTF-8 bytes, in hex.
    let fingerprint: String

    /// Loads `path`. Without `vocabulary` the text's own vocabulary (its distinct
    /// characters, sorted by code point) is used. With one (a checkpoint's), characters
    /// outside it are an error naming them, or dropped with a warning when `skipUnknown`;
    /// `hint` ends that error message.
    /// - Complexity: O(n) for n bytes, two passes; O(tokens) memory.
    static func load(path: String, option: String, vocabulary fixed: Vocabulary? = nil,
                     skipUnknown: Bool = false, hint: String = "") throws -> Corpus {
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
        return Corpus(path: path, tokens: tokens, vocabulary: vocabulary, fingerprint: fingerprint)
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
