import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Reading UTF-8 text files with messages that name the option, the path and the problem.
enum TextFile {
    /// The contents of `path` as a string; `option` (e.g. `--data`) names the file in errors.
    /// Throws for a missing file, a directory, an unreadable file, an empty file (unless
    /// `allowEmpty`) and bytes that are not UTF-8 (naming the first bad byte's offset).
    static func read(_ path: String, option: String, allowEmpty: Bool = false) throws -> String {
        let bytes = try readBytes(path, option: option)
        if bytes.isEmpty && !allowEmpty {
            throw CLIError("\(option) file '\(path)' is empty; give a file with UTF-8 text")
        }
        if let offset = firstInvalidUTF8Offset(bytes) {
            let byte = String(format: "0x%02X", bytes[offset])
            throw CLIError("\(option) file '\(path)' is not UTF-8 text (invalid byte \(byte) at offset \(offset)); convert it first, e.g. iconv -f latin1 -t utf-8 '\(path)' > converted.txt")
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// The raw bytes of `path`.
    static func readBytes(_ path: String, option: String) throws -> [UInt8] {
        var fd: Int32
        repeat { fd = open(path, O_RDONLY | O_CLOEXEC) } while fd < 0 && errno == EINTR
        guard fd >= 0 else {
            let code = errno
            switch code {
            case ENOENT: throw CLIError("\(option) file '\(path)' does not exist; check the path")
            case EISDIR: throw CLIError("\(option) '\(path)' is a directory; give a file")
            default: throw CLIError("cannot open \(option) file '\(path)': \(String(cString: strerror(code)))")
            }
        }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else {
            throw CLIError("cannot read \(option) file '\(path)': \(String(cString: strerror(errno)))")
        }
        if (info.st_mode & S_IFMT) == S_IFDIR { throw CLIError("\(option) '\(path)' is a directory; give a file") }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(max(Int(info.st_size), 0))
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = chunk.withUnsafeMutableBytes { posixRead(fd, $0.baseAddress!, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw CLIError("cannot read \(option) file '\(path)': \(String(cString: strerror(errno)))")
            }
            if n == 0 { break }
            bytes.append(contentsOf: chunk[0..<n])
        }
        return bytes
    }

    /// The offset of the first byte that starts an invalid UTF-8 sequence, or nil.
    static func firstInvalidUTF8Offset(_ bytes: [UInt8]) -> Int? {
        var parser = Unicode.UTF8.ForwardParser()
        var iterator = bytes.makeIterator()
        var offset = 0
        while true {
            switch parser.parseScalar(from: &iterator) {
            case .valid(let encoded): offset += encoded.count
            case .emptyInput: return nil
            case .error(let length): _ = length; return offset
            }
        }
    }
}

// File scope: inside `TextFile`, `read` names its own method.
private func posixRead(_ fd: Int32, _ buffer: UnsafeMutableRawPointer, _ count: Int) -> Int { read(fd, buffer, count) }
