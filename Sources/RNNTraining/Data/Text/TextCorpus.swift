import Foundation
import RNN
import _FileIO

/// A text as tokens of one unit (characters, bytes or words) with its vocabulary: what a
/// language model trains on, read from a file or a string, and split into a training head
/// and a validation tail.
///
/// ```swift
/// let corpus = try TextCorpus.read(path: "input.txt")               // characters, its own vocabulary
/// let (training, validation) = corpus.split(validationFraction: 0.1)
/// let streams = try TokenStreams.cutting(training, batchSize: 32, seqLength: 64, partialChunks: false)
/// ```
///
/// Characters: the file is streamed twice through a 1 MiB buffer: the first pass checks
/// the UTF-8, counts the characters and takes the fingerprint, the second writes each token
/// in the narrowest integer the vocabulary allows (`TokenSequence`). So a text costs about
/// its character count in bytes (up to 256 distinct characters), not several times its
/// size. Bytes: the file itself, one token per byte, any content. Words: the UTF-8 text
/// split by `WordVocabulary`'s rule.
public struct TextCorpus: Sendable {
    /// Every token of the text, in order.
    public let tokens: TokenSequence
    public let vocabulary: TextVocabulary
    /// FNV-1a 64 of the text's bytes, in hex: recognizes the same file again (a resumed run).
    public let fingerprint: String
    /// Characters of the file that a given vocabulary lacks, dropped when reading with
    /// `skippingUnknown` (sorted by code point), and how often they occurred.
    public let droppedCharacters: [Unicode.Scalar]
    public let droppedOccurrences: Int

    /// The text's head and tail: the last `⌊count · validationFraction⌋` tokens are the
    /// validation part. Both share the corpus's storage (no copy).
    /// - Precondition: `validationFraction` in `0..<1`.
    public func split(validationFraction: Double) -> (training: TokenSequence, validation: TokenSequence) {
        precondition(validationFraction >= 0 && validationFraction < 1, "validationFraction must be in [0, 1), got \(validationFraction)")
        let n = tokens.count, held = Int((Double(n) * validationFraction).rounded(.down))
        return (tokens.slice(0..<(n - held)), tokens.slice((n - held)..<n))
    }

    /// `text` as tokens of `unit`, with its own vocabulary: its distinct characters sorted
    /// by code point, the 256 bytes, or its `vocabularyLimit` most frequent words.
    /// - Complexity: O(n) for n characters.
    public init(text: String, unit: TextUnit = .char, vocabularyLimit: Int? = nil) {
        let bytes = Array(text.utf8)
        switch unit {
        case .char:
            let characters = Vocabulary(characters: Set(text.unicodeScalars).sorted { $0.value < $1.value })
            let tokens = text.unicodeScalars.map { characters.token(for: $0)! }
            self.init(
                tokens: Self.narrowest(tokens, vocabularySize: characters.count), vocabulary: .characters(characters),
                bytes: bytes)
        case .byte:
            self.init(tokens: TokenSequence(.uint8(bytes)), vocabulary: .bytes, bytes: bytes)
        case .word:
            let words = WordVocabulary(counting: text, limit: vocabularyLimit)
            self.init(
                tokens: Self.narrowest(words.encode(text), vocabularySize: words.count), vocabulary: .words(words),
                bytes: bytes)
        }
    }

    private init(tokens: TokenSequence, vocabulary: TextVocabulary, bytes: [UInt8]) {
        self.init(tokens: tokens, vocabulary: vocabulary, fingerprint: Self.fingerprint(bytes), dropped: [], occurrences: 0)
    }

    private init(
        tokens: TokenSequence, vocabulary: TextVocabulary, fingerprint: String, dropped: [Unicode.Scalar],
        occurrences: Int
    ) {
        self.tokens = tokens
        self.vocabulary = vocabulary
        self.fingerprint = fingerprint
        droppedCharacters = dropped
        droppedOccurrences = occurrences
    }

    /// Reads the file at `path` as tokens of `unit`, or of `vocabulary`'s unit when given (a
    /// checkpoint's). Without a vocabulary the file's own is used (see `init(text:)`). With
    /// a character vocabulary, characters outside it are an error, or dropped when
    /// `skippingUnknown` (`droppedCharacters` lists them); words outside a word vocabulary
    /// become `<unk>`.
    ///
    /// The file must be a regular file (a FIFO or a device is refused before a byte is
    /// read), non-empty, and UTF-8 unless read as bytes. A file whose tokens would take
    /// `byteBudget` bytes or more (the machine's memory by default) is refused before it
    /// is read.
    /// - Throws: `TextCorpusError`, naming the file.
    /// - Complexity: O(n) for n bytes; two passes for characters.
    public static func read(
        path: String, unit: TextUnit = .char, vocabulary: TextVocabulary? = nil,
        vocabularyLimit: Int? = nil, skippingUnknown: Bool = false,
        byteBudget: Int = Int(clamping: ProcessInfo.processInfo.physicalMemory)
    ) throws(TextCorpusError)
        -> TextCorpus
    {
        let reader = TextFileReader(path: path, byteBudget: byteBudget)
        switch vocabulary?.unit ?? unit {
        case .char:
            var fixed: Vocabulary? = nil
            if case .characters(let characters)? = vocabulary { fixed = characters }
            return try reader.characters(vocabulary: fixed, skippingUnknown: skippingUnknown)
        case .byte:
            let bytes = try reader.bytes()
            return TextCorpus(tokens: TokenSequence(.uint8(bytes)), vocabulary: .bytes, bytes: bytes)
        case .word:
            let text = try reader.utf8Text()
            var fixed: WordVocabulary? = nil
            if case .words(let words)? = vocabulary { fixed = words }
            let words = fixed ?? WordVocabulary(counting: text, limit: vocabularyLimit)
            if fixed == nil && words.count < 4 { throw .tooFewWords(path: path, words: Array(words.words.dropFirst(2))) }
            return TextCorpus(
                tokens: narrowest(words.encode(text), vocabularySize: words.count), vocabulary: .words(words),
                bytes: Array(text.utf8))
        }
    }

    /// `tokens` in the narrowest integer type `TokenSequence` allows for the vocabulary.
    static func narrowest(_ tokens: [Int32], vocabularySize: Int) -> TokenSequence {
        switch TokenSequence.width(vocabularySize: vocabularySize) {
        case 1: return TokenSequence(.uint8(tokens.map { UInt8($0) }))
        case 2: return TokenSequence(.uint16(tokens.map { UInt16($0) }))
        default: return TokenSequence(.int32(tokens))
        }
    }

    /// FNV-1a 64 of `bytes`, in hex (as `UTF8FileScanner` folds it).
    static func fingerprint(_ bytes: [UInt8]) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in bytes { hash = (hash ^ UInt64(b)) &* 0x100_0000_01b3 }
        return String(hash, radix: 16)
    }

    /// The characters of a UTF-8 file, in two passes (see the type).
    fileprivate static func characters(
        _ reader: TextFileReader, file: RegularFile, fixed: Vocabulary?,
        skippingUnknown: Bool
    ) throws(TextCorpusError) -> TextCorpus {
        let scanner = UTF8FileScanner(file: file)
        var census = CharacterCensus()
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        try reader.scan { try scanner.scan(into: &census, fingerprint: &hash) }
        let vocabulary = fixed ?? Vocabulary(characters: census.characters.sorted { $0.value < $1.value })
        let unknown = census.characters.filter { vocabulary.token(for: $0) == nil }.sorted { $0.value < $1.value }
        let dropped = unknown.reduce(0) { $0 + census.occurrences(of: $1) }
        if !unknown.isEmpty && !skippingUnknown {
            throw .charactersOutsideVocabulary(
                path: reader.path, characters: Array(unknown.prefix(8)), distinct: unknown.count,
                occurrences: dropped, vocabularySize: vocabulary.count)
        }
        let kept = census.total - dropped
        let tokens: TokenSequence
        switch TokenSequence.width(vocabularySize: vocabulary.count) {
        case 1: tokens = TokenSequence(.uint8(try encode(reader, scanner, vocabulary, count: kept)))
        case 2: tokens = TokenSequence(.uint16(try encode(reader, scanner, vocabulary, count: kept)))
        default: tokens = TokenSequence(.int32(try encode(reader, scanner, vocabulary, count: kept)))
        }
        return TextCorpus(
            tokens: tokens, vocabulary: .characters(vocabulary), fingerprint: String(hash, radix: 16),
            dropped: unknown, occurrences: dropped)
    }

    /// The second pass: the tokens of the file's characters that `vocabulary` has, written
    /// in place (no second copy).
    private static func encode<T: FixedWidthInteger>(
        _ reader: TextFileReader, _ scanner: UTF8FileScanner,
        _ vocabulary: Vocabulary, count: Int
    ) throws(TextCorpusError) -> [T] {
        var failure: TextCorpusError?
        let tokens = [T](unsafeUninitializedCapacity: max(count, 1)) { buffer, initialized in
            var sink = CharacterEncoder<T>(vocabulary: vocabulary, output: buffer)
            do throws(TextCorpusError) { try reader.scan { try scanner.scan(into: &sink) } } catch { failure = error }
            initialized = min(sink.written, buffer.count)
            if sink.written != count { failure = failure ?? .changedWhileRead(path: reader.path) }
        }
        if let failure { throw failure }
        return count == 0 ? [] : tokens
    }
}

/// Opening and reading one text file, each failure as the `TextCorpusError` that names it.
package struct TextFileReader {
    package let path: String
    package let byteBudget: Int

    package init(path: String, byteBudget: Int) {
        self.path = path
        self.byteBudget = byteBudget
    }

    /// The file opened, non-empty, and within the budget at `bytesPerByte` held per byte.
    package func open(bytesPerByte: Int) throws(TextCorpusError) -> RegularFile {
        let file: RegularFile
        do { file = try RegularFile(path: path) } catch { throw describe(error) }
        let needed = file.size.multipliedReportingOverflow(by: bytesPerByte)
        guard !needed.overflow && needed.partialValue < byteBudget else {
            file.close()
            throw .exceedsByteBudget(
                path: path, fileSize: file.size, bytes: needed.overflow ? .max : needed.partialValue,
                budget: byteBudget)
        }
        guard file.size > 0 else {
            file.close()
            throw .empty(path: path)
        }
        return file
    }

    /// A character corpus (four bytes a character at most for the tokens).
    func characters(vocabulary: Vocabulary?, skippingUnknown: Bool) throws(TextCorpusError) -> TextCorpus {
        let file = try open(bytesPerByte: 4)
        defer { file.close() }
        return try TextCorpus.characters(self, file: file, fixed: vocabulary, skippingUnknown: skippingUnknown)
    }

    /// Every byte (held twice at most: the bytes and their tokens).
    func bytes() throws(TextCorpusError) -> [UInt8] {
        let file = try open(bytesPerByte: 2)
        defer { file.close() }
        do { return try file.readAll() } catch { throw describe(error) }
    }

    /// The text, checked to be UTF-8 (the bytes, the string and the tokens are held).
    package func utf8Text(bytesPerByte: Int = 5) throws(TextCorpusError) -> String {
        let file = try open(bytesPerByte: bytesPerByte)
        defer { file.close() }
        let scanner = UTF8FileScanner(file: file)
        var check = IgnoredScalars()
        try scan { try scanner.scan(into: &check) }
        do { return String(decoding: try file.readAll(), as: UTF8.self) } catch { throw describe(error) }
    }

    /// Runs a `UTF8FileScanner` pass, its failures as `TextCorpusError`s.
    func scan(_ pass: () throws -> Void) throws(TextCorpusError) {
        do {
            try pass()
        } catch let invalid as UTF8FileScanner.InvalidByte {
            throw .notUTF8(path: path, byte: invalid.byte, offset: invalid.offset)
        } catch let failure as RegularFile.Failure {
            throw describe(failure)
        } catch {
            throw .unreadable(path: path, reason: "\(error)")
        }
    }

    private func describe(_ failure: RegularFile.Failure) -> TextCorpusError {
        switch failure {
        case .notFound: return .notFound(path: path)
        case .isDirectory: return .isDirectory(path: path)
        case .notRegular(let kind): return .notRegularFile(path: path, kind: kind)
        default: return .unreadable(path: path, reason: "\(failure)")
        }
    }
}

/// A sink for a pass that only checks the UTF-8.
private struct IgnoredScalars: ScalarSink {
    mutating func ascii(_ byte: UInt8) {}
    mutating func scalar(_ value: UInt32) {}
}
