import Foundation
import Linalg
import RNN
import SequenceData
import Testing

/// Text pairs: the file format's rules, each side's vocabulary in every unit, and batches
/// that are a permutation of the pairs, the same for the same seed and epoch.
struct PairsTests {
    @Test func pairsFileRules() throws {
        let pairs = try TextPairs(bytes: Array("one\t1\r\ntwo\t2\nthree\t3".utf8), name: "p.tsv")
        #expect(pairs.sources == ["one", "two", "three"] && pairs.targets == ["1", "2", "3"] && pairs.lines == [1, 2, 3])
        let bad: [(String, PairsError)] = [
            ("a\tb\nab\n", .tabs(path: "p.tsv", line: 2, count: 0)),
            ("a\tb\tc\n", .tabs(path: "p.tsv", line: 1, count: 2)),
            ("a\tb\n\na\tb\n", .emptyLine(path: "p.tsv", line: 2)),
            ("a\t \n", .emptySide(path: "p.tsv", line: 1, side: "target")),
            ("\tb\n", .emptySide(path: "p.tsv", line: 1, side: "source")),
        ]
        for (text, error) in bad {
            #expect(throws: error) { try TextPairs(bytes: Array(text.utf8), name: "p.tsv") }
        }
        #expect(throws: PairsError.notUTF8(path: "p.tsv", line: 2)) {
            try TextPairs(bytes: Array("a\tb\n".utf8) + [0xC3, 0x09, 0x62], name: "p.tsv")
        }
        #expect(throws: PairsError.noPairs(path: "p.tsv")) { try TextPairs(bytes: [], name: "p.tsv") }
    }

    @Test(arguments: TextUnit.allCases)
    func vocabulariesRoundTrip(_ unit: TextUnit) throws {
        let texts = ["the cat sat.", "a dog, a cat!", "naïve café"]
        let side = SideVocabulary(unit: unit, counting: texts, specials: SideVocabulary.targetSpecials, limit: nil)
        #expect(Array(side.symbols.prefix(3)) == ["<unk>", "<s>", "</s>"])
        for text in texts {
            #expect(side.decode(side.encode(text)) == text)
            #expect(side.unknownCount(text) == 0)
        }
        let decoded = try JSONDecoder().decode(SideVocabulary.self, from: JSONEncoder().encode(side))
        #expect(decoded == side && decoded.encode("a cat") == side.encode("a cat"))
        if unit == .byte { #expect(side.count == 3 + 256) }
    }

    /// A limit keeps the most frequent symbols (ties by first appearance); the rest read as <unk>.
    @Test func limitsKeepTheMostFrequent() {
        let side = SideVocabulary(unit: .char, counting: ["aab", "ca"], specials: SideVocabulary.sourceSpecials, limit: 2)
        #expect(side.symbols == ["<unk>", "a", "b"])
        #expect(side.encode("abc") == [1, 2, 0] && side.unknownCount("abcc") == 2)
        let words = SideVocabulary(unit: .word, counting: ["x y y", "z y"], specials: SideVocabulary.sourceSpecials, limit: 1)
        #expect(words.symbols == ["<unk>", "y"] && words.decode(words.encode("y x")) == "y <unk>")
    }

    /// A hostile checkpoint's vocabulary is refused, not trapped on.
    @Test func damagedVocabulariesAreRefused() {
        for json in [
            #"{"unit":"char","symbols":["a","<unk>"],"specialCount":1}"#,
            #"{"unit":"word","symbols":["<unk>","a b"],"specialCount":1}"#,
            #"{"unit":"char","symbols":["<unk>","a","a"],"specialCount":1}"#,
            #"{"unit":"byte","symbols":["<unk>","a"],"specialCount":1}"#,
            #"{"unit":"glyph","symbols":["<unk>"],"specialCount":1}"#,
        ] {
            #expect(throws: DecodingError.self) { try JSONDecoder().decode(SideVocabulary.self, from: Data(json.utf8)) }
        }
    }

    /// Every epoch's batches hold every pair once, padded time-major with the end token
    /// appended; the same seed and epoch give the same batches, another epoch another order.
    @Test func batchesArePermutationsAndRepeatable() {
        var rng = SeededRandom(seed: 5)
        let sources = (0..<203).map { _ in (0..<(1 + rng.index(below: 9))).map { _ in Int32(rng.index(below: 7)) } }
        let targets = sources.map { Array($0.reversed()) }
        let make = { PairBatches(sources: sources, targets: targets, endToken: 9, batchSize: 16, seed: 3, bucketBatches: 4) }
        let (a, b) = (make(), make())
        #expect(a.batchesPerEpoch == 13)
        var seen: [[Int32]] = []
        var batch = EncoderDecoderModel.Batch()
        for i in 0..<a.batchesPerEpoch {
            a.fill(i, epoch: 1, into: &batch)
            let B = batch.batchSize, Ts = batch.source.count / B
            for s in 0..<B {
                let source = (0..<batch.sourceLengths[s]).map { batch.source[$0 * B + s] }
                #expect((batch.sourceLengths[s]..<Ts).allSatisfy { batch.source[$0 * B + s] == -1 })
                let target = (0..<(batch.targets.count / B)).map { batch.targets[$0 * B + s] }.filter { $0 >= 0 }
                #expect(target == source.reversed() + [9])
                seen.append(source)
            }
        }
        #expect(seen.sorted { $0.lexicographicallyPrecedes($1) } == sources.sorted { $0.lexicographicallyPrecedes($1) })
        #expect(a.order(epoch: 1) == b.order(epoch: 1) && a.order(epoch: 1) != a.order(epoch: 2))
    }
}
