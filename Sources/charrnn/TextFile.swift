import Foundation
import RNN

/// Reading UTF-8 text files with messages that name the option, the path and the problem.
enum TextFile {
    /// The contents of `path` as a string; `option` (e.g. `--data`) names the file in errors.
    /// Throws for a missing file, a directory, an unreadable file, an empty file (unless
    /// `allowEmpty`) and bytes that are not UTF-8 (naming the first bad byte's offset).
    ///
    /// `memoryPerByte` is what the caller will hold per byte of the file (the bytes, the
    /// string, tokens, ...): a file whose size times it would not fit in `MemoryBudget`
    /// is refused before it is read.
    static func read(_ path: String, option: String, allowEmpty: Bool = false, memoryPerByte: Double = 2) throws -> String {
        let bytes = try readBytes(path, option: option, memoryPerByte: memoryPerByte)
        if bytes.isEmpty && !allowEmpty {
            throw CLIError("\(option) file '\(path)' is empty; give a file with UTF-8 text")
        }
        if let offset = firstInvalidUTF8Offset(bytes) {
            throw notUTF8(path: path, option: option, byte: bytes[offset], offset: offset)
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// The raw bytes of `path`, which must be a regular file: a FIFO, a device (such as
    /// `/dev/zero`), a socket or a directory is refused before anything is read.
    static func readBytes(_ path: String, option: String, memoryPerByte: Double = 1) throws -> [UInt8] {
        let file = try open(path, option: option, memoryPerByte: memoryPerByte)
        defer { file.close() }
        do { return try file.readAll() } catch { throw describe(error, path: path, option: option) }
    }

    /// `path` opened as a regular file (see `readBytes`); a file whose size times
    /// `memoryPerByte` would not fit in `MemoryBudget` is refused before it is read.
    static func open(_ path: String, option: String, memoryPerByte: Double) throws -> RegularFile {
        let file: RegularFile
        do { file = try RegularFile(path: path) } catch { throw describe(error, path: path, option: option) }
        let needed = Double(file.size) * memoryPerByte, budget = MemoryBudget.current()
        guard needed < budget.bytes * 0.8 else {
            file.close()
            throw CLIError("\(option) file '\(path)' (\(MemoryBudget.format(Double(file.size)))) needs about \(MemoryBudget.format(needed)) of memory to load and use, more than \(budget.limit) leaves (\(MemoryBudget.format(budget.bytes))); use a smaller file")
        }
        return file
    }

    /// Runs a `UTF8FileScanner` pass, turning its failures into messages that name the
    /// option, the path and the problem.
    static func scan(_ scanner: UTF8FileScanner, path: String, option: String, _ pass: () throws -> Void) throws {
        do {
            try pass()
        } catch let invalid as UTF8FileScanner.InvalidByte {
            throw notUTF8(path: path, option: option, byte: invalid.byte, offset: invalid.offset)
        } catch let failure as RegularFile.Failure {
            throw describe(failure, path: path, option: option)
        }
    }

    static func notUTF8(path: String, option: String, byte: UInt8, offset: Int) -> CLIError {
        CLIError("\(option) file '\(path)' is not UTF-8 text (invalid byte \(String(format: "0x%02X", byte)) at offset \(offset)); convert it first, e.g. iconv -f latin1 -t utf-8 '\(path)' > converted.txt")
    }

    /// The message for a file that cannot be read.
    private static func describe(_ error: RegularFile.Failure, path: String, option: String) -> CLIError {
        switch error {
        case .notFound: return CLIError("\(option) file '\(path)' does not exist; check the path")
        case .isDirectory: return CLIError("\(option) '\(path)' is a directory; give a file")
        case .notRegular(let kind): return CLIError("\(option) '\(path)' is \(kind), not a regular file; give a file")
        default: return CLIError("cannot read \(option) file '\(path)': \(error)")
        }
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
