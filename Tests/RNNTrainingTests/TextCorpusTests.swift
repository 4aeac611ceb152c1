import Foundation
import Linalg
import RNN
import RNNTraining
import Testing

/// Reading a text file into tokens, a vocabulary and a split: against the same text in
/// memory, hand-made token lists, and every kind of bad file.
struct TextCorpusTests {
    /// A file of `bytes` in a fresh directory, removed after `body`.
    @discardableResult
    static func withFile<R>(_ bytes: [UInt8], _ body: (String) throws -> R) throws -> R {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("TextCorpusTests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("text.txt").path
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return try body(path)
    }

    /// The tokens through `withTokens`, as training reads them (the collection's
    /// elements must be the same).
    static func tokens(_ sequence: TokenSequence) -> [Int32] {
        let read = sequence.withTokens { token in (0..<sequence.count).map { token($0) } }
        #expect(Array(sequence) == read)
        return read
    }

    @Test func aFileReadsAsTheSameTextInMemory() throws {
        let text = "héllo wörld\nhello again\n"
        try Self.withFile(Array(text.utf8)) { path in
            for unit in TextUnit.allCases {
                let file = try TextCorpus.read(path: path, unit: unit)
                let memory = TextCorpus(text: text, unit: unit)
                #expect(file.vocabulary == memory.vocabulary && Self.tokens(file.tokens) == Self.tokens(memory.tokens), "\(unit)")
                #expect(file.fingerprint == memory.fingerprint)
            }
            let characters = try TextCorpus.read(path: path)
            guard case .characters(let vocabulary) = characters.vocabulary else { Issue.record("not characters"); return }
            #expect(String(String.UnicodeScalarView(vocabulary.characters)) == "\n adeghilnorwéö")  // by code point
            let encoded = try vocabulary.encode(text)
            #expect(Self.tokens(characters.tokens) == encoded)
            #expect(characters.tokens.count == text.unicodeScalars.count)
            let bytes = try TextCorpus.read(path: path, unit: .byte)
            #expect(bytes.tokens.count == text.utf8.count)
        }
    }

    @Test func theSplitKeepsTheTailForValidation() {
        let corpus = TextCorpus(text: "abcdefghij")
        let (training, validation) = corpus.split(validationFraction: 0.25)  // ⌊10 · 0.25⌋ = 2 held out
        #expect(Self.tokens(training) == Array(0..<8) && Self.tokens(validation) == [8, 9])
        #expect(corpus.split(validationFraction: 0).validation.count == 0)
    }

    @Test func aCheckpointsVocabularyRejectsOrDropsOtherCharacters() throws {
        let vocabulary = TextVocabulary.characters(Vocabulary(text: "ab "))
        try Self.withFile(Array("ab xa yx".utf8)) { path in
            #expect(
                throws: TextCorpusError.charactersOutsideVocabulary(
                    path: path, characters: ["x", "y"], distinct: 2,
                    occurrences: 3, vocabularySize: 3)
            ) {
                try TextCorpus.read(path: path, vocabulary: vocabulary)
            }
            let kept = try TextCorpus.read(path: path, vocabulary: vocabulary, skippingUnknown: true)
            #expect(kept.droppedCharacters == ["x", "y"] && kept.droppedOccurrences == 3)
            #expect(Self.tokens(kept.tokens) == [1, 2, 0, 1, 0])  // "ab a ", " " = 0
        }
    }

    @Test func badFilesThrowErrorsThatNameThem() throws {
        #expect(throws: TextCorpusError.notFound(path: "/nonexistent/text.txt")) {
            try TextCorpus.read(path: "/nonexistent/text.txt")
        }
        #expect(throws: TextCorpusError.isDirectory(path: "/tmp")) { try TextCorpus.read(path: "/tmp") }
        #expect(throws: TextCorpusError.notRegularFile(path: "/dev/zero", kind: "a character device")) {
            try TextCorpus.read(path: "/dev/zero")
        }
        try Self.withFile([]) { path in
            #expect(throws: TextCorpusError.empty(path: path)) { try TextCorpus.read(path: path) }
        }
        try Self.withFile(Array("ok ".utf8) + [0xC3, 0x28]) { path in  // 0xC3 then no continuation byte
            #expect(throws: TextCorpusError.notUTF8(path: path, byte: 0xC3, offset: 3)) { try TextCorpus.read(path: path) }
            #expect(throws: TextCorpusError.notUTF8(path: path, byte: 0xC3, offset: 3)) { try TextCorpus.read(path: path, unit: .word) }
            let bytes = try TextCorpus.read(path: path, unit: .byte)
            #expect(bytes.tokens.count == 5)  // bytes need no UTF-8
        }
        try Self.withFile(Array(repeating: UInt8(ascii: "a"), count: 1000)) { path in
            #expect(throws: TextCorpusError.exceedsByteBudget(path: path, fileSize: 1000, bytes: 4000, budget: 4000)) {
                try TextCorpus.read(path: path, byteBudget: 4000)
            }
            let within = try TextCorpus.read(path: path, byteBudget: 4001)
            #expect(within.tokens.count == 1000)
        }
        try Self.withFile(Array("the the the".utf8)) { path in
            #expect(throws: TextCorpusError.tooFewWords(path: path, words: ["the"])) { try TextCorpus.read(path: path, unit: .word) }
        }
        #expect(
            "\(TextCorpusError.notUTF8(path: "t.txt", byte: 0xC3, offset: 3))"
                == "'t.txt' is not UTF-8 text (invalid byte 0xC3 at offset 3); convert it first, or read its bytes (unit .byte)")
    }
}
