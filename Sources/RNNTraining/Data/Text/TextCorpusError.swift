/// Why a text file cannot become a `TextCorpus`: each case names the file.
public enum TextCorpusError: Error, Equatable, CustomStringConvertible {
    case notFound(path: String)
    case isDirectory(path: String)
    /// A FIFO, a device or a socket (`kind`: "a FIFO (named pipe)", ...): refused before
    /// anything is read, so that it cannot hang or fill memory.
    case notRegularFile(path: String, kind: String)
    /// `open` or `read` failed with this reason.
    case unreadable(path: String, reason: String)
    case empty(path: String)
    /// The first byte of an invalid UTF-8 sequence, at `offset` bytes into the file.
    case notUTF8(path: String, byte: UInt8, offset: Int)
    /// Holding the file's tokens would take about `bytes` bytes, not less than `budget`.
    case exceedsByteBudget(path: String, fileSize: Int, bytes: Int, budget: Int)
    /// Characters the given vocabulary lacks (at most the first 8), how many there are in
    /// all, and how many times they occur.
    case charactersOutsideVocabulary(
        path: String, characters: [Unicode.Scalar], distinct: Int, occurrences: Int,
        vocabularySize: Int)
    /// A word vocabulary of fewer than 2 words besides `<unk>` and `<eos>`: nothing to learn.
    case tooFewWords(path: String, words: [String])
    /// The file's size or contents changed between the two passes.
    case changedWhileRead(path: String)

    public var description: String {
        switch self {
        case .notFound(let path): return "'\(path)' does not exist; check the path"
        case .isDirectory(let path): return "'\(path)' is a directory; give a file"
        case .notRegularFile(let path, let kind): return "'\(path)' is \(kind), not a regular file; give a file"
        case .unreadable(let path, let reason): return "cannot read '\(path)': \(reason)"
        case .empty(let path): return "'\(path)' is empty; give a file with some text"
        case .notUTF8(let path, let byte, let offset):
            let hex = String(byte, radix: 16, uppercase: true)
            return
                "'\(path)' is not UTF-8 text (invalid byte 0x\(hex.count < 2 ? "0" + hex : hex) at offset \(offset)); convert it first, or read its bytes (unit .byte)"
        case .exceedsByteBudget(let path, let size, let bytes, let budget):
            return
                "'\(path)' (\(size) bytes) needs about \(bytes) bytes of memory as tokens, more than the budget of \(budget); use a smaller file"
        case .charactersOutsideVocabulary(let path, let characters, let distinct, _, let size):
            let shown = characters.map { "U+" + String($0.value, radix: 16, uppercase: true) }.joined(separator: ", ")
            return
                "'\(path)' has \(distinct) distinct character(s) that the vocabulary of \(size) lacks: \(shown)\(distinct > characters.count ? " and more" : "")"
        case .tooFewWords(let path, let words):
            return "'\(path)' has \(words.count) distinct word(s); a word model needs at least 2 to learn from"
        case .changedWhileRead(let path): return "'\(path)' changed while it was read; try again"
        }
    }
}
