import RNN

// The two passes of `TextCorpus` over a UTF-8 file's characters (`UTF8FileScanner`).

/// The first pass: which characters occur, in order of first appearance, and how often.
struct CharacterCensus: ScalarSink {
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
struct CharacterEncoder<T: FixedWidthInteger>: ScalarSink {
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
