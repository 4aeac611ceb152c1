import Foundation
import _FileIO
import _ToolSupport

#if canImport(Glibc)
    import Glibc
#endif

/// Lines of a file or of standard input, in batches of those already read: a pipe or a
/// file gives full batches, a terminal one line at a time (each output comes as soon as
/// its line is typed). Each line is checked to be UTF-8; `\r\n` loses its `\r`.
final class LineInput {
    private let descriptor: Int32
    /// `--input 'path'` or `standard input`: how errors name the input.
    let name: String
    private var buffer: [UInt8] = []
    /// Where the next line starts in `buffer` (the bytes before it are taken, dropped only
    /// when more are read: one move per read, not one per line).
    private var start = 0
    /// The bytes of `buffer` before this hold no newline: a line longer than a read is
    /// searched once, not again after every read.
    private var searched = 0
    private var ended = false
    private(set) var lineNumber = 0

    /// Standard input (`path` nil) or the regular file at `path`.
    init(path: String?) throws {
        guard let path else {
            descriptor = STDIN_FILENO
            name = "standard input"
            return
        }
        do {
            try RegularFile(path: path).close()
        } catch .notFound {
            throw CLIError("--input file '\(path)' does not exist; check the path")
        } catch {
            throw CLIError("--input '\(path)' cannot be read: \(error)")
        }
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { throw CLIError("--input '\(path)' cannot be opened: \(String(cString: strerror(errno)))") }
        descriptor = fd
        name = "--input '\(path)'"
    }

    deinit { if descriptor != STDIN_FILENO { close(descriptor) } }

    /// Up to `limit` lines: those complete in what has been read, reading more (waiting)
    /// only when none is. Empty at the end of the input.
    func next(_ limit: Int) throws -> [(line: Int, text: String)] {
        var lines: [(Int, String)] = []
        while lines.count < limit {
            if let newline = buffer[max(start, searched)...].firstIndex(of: 10) {
                lines.append(try take(upTo: newline, dropping: 1))
                continue
            }
            searched = buffer.count
            if ended {
                if start < buffer.count { lines.append(try take(upTo: buffer.count, dropping: 0)) }
                break
            }
            if !lines.isEmpty { break }  // give what is here before waiting for more
            buffer.removeFirst(start)
            (searched, start) = (searched - start, 0)
            var chunk = [UInt8](repeating: 0, count: 1 << 16)
            let n = chunk.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw CLIError("cannot read \(name): \(String(cString: strerror(errno)))")
            }
            if n == 0 { ended = true } else { buffer.append(contentsOf: chunk[0..<n]) }
        }
        return lines
    }

    private func take(upTo end: Int, dropping separator: Int) throws -> (line: Int, text: String) {
        lineNumber += 1
        var stop = end
        if stop > start && buffer[stop - 1] == 13 { stop -= 1 }
        guard let text = String(validating: buffer[start..<stop], as: UTF8.self) else {
            throw CLIError("\(name) line \(lineNumber) is not UTF-8 text; convert it first, e.g. iconv -f latin1 -t utf-8")
        }
        start = end + separator
        return (lineNumber, text)
    }
}
