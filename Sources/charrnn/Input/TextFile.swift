import _FileIO
import Foundation
import RNN
import SafeTensors

/// Reading UTF-8 text files with messages that name the option, the path and the problem.
enum TextFile {
    /// The contents of `path` as a string; `option` (e.g. `--data`) names the file in errors.
    /// Throws for a missing file, a directory or another file that is not a regular one,
    /// an unreadable file, an empty file (unless `allowEmpty`) and bytes that are not
    /// UTF-8 (naming the first bad byte's offset: `UTF8FileScanner`'s check).
    ///
    /// `memoryPerByte` is what the caller will hold per byte of the file (the bytes, the
    /// string, tokens, ...): a file whose size times it would not fit in `MemoryBudget`
    /// is refused before it is read.
    static func read(_ path: String, option: String, allowEmpty: Bool = false, memoryPerByte: Double = 2) throws -> String {
        let file = try open(path, option: option, memoryPerByte: memoryPerByte)
        defer { file.close() }
        if file.size == 0 && !allowEmpty { throw empty(path: path, option: option) }
        let scanner = UTF8FileScanner(file: file)
        var check = IgnoredScalars()
        try scan(scanner, path: path, option: option) { try scanner.scan(into: &check) }
        return String(decoding: try readAll(file, path: path, option: option), as: UTF8.self)
    }

    /// Every byte of `file`, with a failure named as `read`'s are.
    static func readAll(_ file: RegularFile, path: String, option: String) throws -> [UInt8] {
        do { return try file.readAll() } catch { throw describe(error, path: path, option: option) }
    }

    static func empty(path: String, option: String) -> CLIError {
        CLIError("\(option) file '\(path)' is empty; give a file with UTF-8 text")
    }

    /// `path` opened as a regular file (see `readBytes`); a file whose size times
    /// `memoryPerByte` would not fit in `MemoryBudget` is refused before it is read.
    static func open(_ path: String, option: String, memoryPerByte: Double) throws -> RegularFile {
        let file: RegularFile
        do { file = try RegularFile(path: path) } catch { throw describe(error, path: path, option: option) }
        do {
            try MemoryBudget.require(Double(file.size) * memoryPerByte, "\(option) file '\(path)' (\(MemoryBudget.format(Double(file.size))))",
                                     detail: " to load and use", hint: "use a smaller file")
        } catch {
            file.close()
            throw error
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

    private static func notUTF8(path: String, option: String, byte: UInt8, offset: Int) -> CLIError {
        CLIError("\(option) file '\(path)' is not UTF-8 text (invalid byte \(String(format: "0x%02X", byte)) at offset \(offset)); convert it first, e.g. iconv -f latin1 -t utf-8 '\(path)' > converted.txt\(option == "--data" ? ", or train on its bytes: charrnn train --unit byte" : "")")
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
}

/// A sink for a pass that only checks the UTF-8.
private struct IgnoredScalars: ScalarSink {
    mutating func ascii(_ byte: UInt8) {}
    mutating func scalar(_ value: UInt32) {}
}
