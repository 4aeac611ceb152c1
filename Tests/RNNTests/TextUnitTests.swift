import RNN
import Testing

/// Word and byte units: the splitting rule, round trips, `<unk>`, and priming.
struct TextUnitTests {
    @Test func theSplittingRule() {
        #expect(
            WordVocabulary.tokenize("The cat, it sat (on the mat).\n") == [
                "The", "cat", ",", "it", "sat", "(", "on", "the", "mat", ")", ".", "<eos>",
            ])
        // Apostrophes and hyphens inside a word stay; at its edge they are tokens; digits are word characters.
        #expect(
            WordVocabulary.tokenize("don't 'quote' well-known -x 42nd café") == [
                "don't", "'", "quote", "'", "well-known", "-", "x", "42nd", "café", "<eos>",
            ])
        // Every line ends with <eos>, an empty one too; whitespace runs and tabs separate.
        #expect(WordVocabulary.tokenize("a  b\tc\n\nd") == ["a", "b", "c", "<eos>", "<eos>", "d", "<eos>"])
        #expect(WordVocabulary.tokenize("") == [])
    }

    @Test func textToTokensToText() {
        let text = "The cat, it sat (on the mat).\nA dog's well-known bark: 100% real!\n\nthe end?\n"
        let words = WordVocabulary(counting: text, limit: nil)
        #expect(words.words.prefix(2) == ["<unk>", "<eos>"])
        let tokens = words.encode(text)
        #expect(!tokens.contains(WordVocabulary.unknownToken))
        #expect(words.decode(tokens) == text)
        #expect(TextVocabulary.words(words).decodeBytes(tokens) == Array(text.utf8))
    }

    /// The limit keeps the most frequent words (ties: first seen first); the rest are <unk>.
    @Test func limitAndUnknownWords() {
        let text = "b a b c a b d\n"
        let words = WordVocabulary(counting: text, limit: 2)
        #expect(words.words == ["<unk>", "<eos>", "b", "a"])
        #expect(words.encode(text) == [2, 3, 2, 0, 3, 2, 0, 1])
        #expect(words.decode(words.encode("a zebra b")) == "a <unk> b\n")
        // All words, frequency order with ties by first appearance.
        #expect(WordVocabulary(counting: text, limit: nil).words == ["<unk>", "<eos>", "b", "a", "c", "d"])
        // A prime is continued: no <eos> after its last line, and the continuation's spacing.
        let vocabulary = TextVocabulary.words(WordVocabulary(counting: text, limit: nil))
        let prime = try! vocabulary.encode("b a")
        #expect(prime == [2, 3])
        #expect(vocabulary.decodeBytes([4, 1, 5], after: prime.last) == Array(" c\nd".utf8))
        #expect(vocabulary.decodeBytes([4], after: 1) == Array("c".utf8))
    }

    /// Bytes: any byte sequence, not UTF-8 too, comes back as it was.
    @Test func bytesRoundTrip() throws {
        let bytes: [UInt8] = [0, 255, 0xC0, 0x80, 10, 65]
        let vocabulary = TextVocabulary.bytes
        #expect(vocabulary.count == 256 && vocabulary.lineBreak == 10)
        #expect(vocabulary.decodeBytes(bytes.map { Int32($0) }) == bytes)
        #expect(try vocabulary.encode("hé") == [104, 0xC3, 0xA9])
    }

    @Test func characterUnitKeepsItsRules() {
        let vocabulary = TextVocabulary.characters(Vocabulary(text: "hello\n"))
        #expect(vocabulary.unit == .char && vocabulary.summary == "5 characters")
        #expect(throws: VocabularyError.self) { try vocabulary.encode("help") }
        #expect(vocabulary.decode(try! vocabulary.encode("hole")) == "hole")
    }
}
