import RNNTraining
import _FileIO

/// Pairs of texts, one pair per line of a UTF-8 file: the source, a tab, the target (a
/// translation, a normalization, a question and its answer) — what `seq2seq train` reads.
///
/// Every line must hold exactly one tab with text on both sides; a line ending in `\r\n`
/// loses its `\r`. The file's last line may end with a newline or not.
///
/// ```swift
/// let pairs = try TextPairs(path: "dates.tsv")
/// pairs.sources[0]   // "3 march 2019"
/// pairs.targets[0]   // "2019-03-03"
/// ```
/// - Complexity: O(file size); holds the bytes and the strings.
public struct TextPairs: Sendable, Equatable {
    /// The source side of each pair.
    public var sources: [String]
    /// The target side of each pair.
    public var targets: [String]
    /// The 1-based line of each pair in its file.
    public var lines: [Int]

    public var count: Int { sources.count }

    /// The pairs of the file at `path`.
    /// - Parameters:
    ///   - path: a regular file of UTF-8 lines `source<TAB>target`.
    ///   - byteBudget: refuse a file whose size times 8 (the bytes, strings and tokens it
    ///     becomes) would exceed this many bytes.
    /// - Throws: `PairsError` naming the file and the first bad line.
    public init(path: String, byteBudget: Int = Int.max / 16) throws(PairsError) {
        let bytes: [UInt8]
        let reader = TextFileReader(path: path, byteBudget: byteBudget)
        do {
            let file = try reader.open(bytesPerByte: 8)
            defer { file.close() }
            bytes = try file.readAll()
        } catch let error as TextCorpusError {
            throw .file(path: path, error)
        } catch {
            throw .file(path: path, .unreadable(path: path, reason: "\(error)"))
        }
        try self.init(bytes: bytes, name: path)
    }

    /// The pairs of `bytes`, a file's contents; `name` names it in errors.
    /// - Throws: `PairsError` for a line that is not UTF-8, has no tab or more than one,
    ///   or an empty side; for no lines at all.
    public init(bytes: [UInt8], name: String) throws(PairsError) {
        sources = []
        targets = []
        lines = []
        var start = 0, line = 0
        while start < bytes.count {
            line += 1
            var end = start
            while end < bytes.count && bytes[end] != 10 { end += 1 }
            var stop = end
            if stop > start && bytes[stop - 1] == 13 { stop -= 1 }
            try take(bytes[start..<stop], line: line, name: name)
            start = end + 1
        }
        guard !sources.isEmpty else { throw .noPairs(path: name) }
    }

    private mutating func take(_ bytes: ArraySlice<UInt8>, line: Int, name: String) throws(PairsError) {
        let tabs = bytes.indices.filter { bytes[$0] == 9 }
        guard tabs.count == 1, let tab = tabs.first else {
            throw bytes.isEmpty ? .emptyLine(path: name, line: line) : .tabs(path: name, line: line, count: tabs.count)
        }
        for (side, range) in [("source", bytes.startIndex..<tab), ("target", tab + 1..<bytes.endIndex)] {
            guard !range.isEmpty, bytes[range].contains(where: { $0 != 32 }) else { throw .emptySide(path: name, line: line, side: side) }
        }
        guard let source = String(validating: bytes[bytes.startIndex..<tab], as: UTF8.self),
            let target = String(validating: bytes[(tab + 1)...], as: UTF8.self)
        else { throw .notUTF8(path: name, line: line) }
        sources.append(source)
        targets.append(target)
        lines.append(line)
    }
}

/// Why a pairs file cannot be read: each case names the file, and the line where it applies.
public enum PairsError: Error, Equatable, CustomStringConvertible {
    /// The file itself (missing, a directory, empty, too large, unreadable).
    case file(path: String, TextCorpusError)
    case notUTF8(path: String, line: Int)
    /// A line with no tab (`count` 0) or more than one.
    case tabs(path: String, line: Int, count: Int)
    case emptyLine(path: String, line: Int)
    /// A side (`source` or `target`) that is empty or only spaces.
    case emptySide(path: String, line: Int, side: String)
    case noPairs(path: String)

    public var description: String {
        switch self {
        case .file(_, let error): return "\(error)"
        case .notUTF8(let path, let line):
            return "'\(path)' line \(line) is not UTF-8 text; convert the file first, e.g. iconv -f latin1 -t utf-8"
        case .tabs(let path, let line, let count):
            return count == 0
                ? "'\(path)' line \(line) has no tab; each line is one pair: SOURCE<TAB>TARGET"
                : "'\(path)' line \(line) has \(count) tabs; each line is one pair: SOURCE<TAB>TARGET, with no tab inside either side"
        case .emptyLine(let path, let line):
            return "'\(path)' line \(line) is empty; each line is one pair: SOURCE<TAB>TARGET (remove blank lines)"
        case .emptySide(let path, let line, let side):
            return "'\(path)' line \(line) has an empty \(side); both sides of a pair need text"
        case .noPairs(let path): return "'\(path)' holds no pairs"
        }
    }
}
