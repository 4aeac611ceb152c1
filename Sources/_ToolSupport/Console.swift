import Foundation
import RNN
import SafeTensors
import _FileIO

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// Where output goes: results and samples to stdout, diagnostics (progress, notes,
/// warnings, errors) to stderr.
package enum Console {
    /// Whether stderr is a terminal (progress then updates one line in place).
    package static var stderrIsTerminal: Bool { isatty(STDERR_FILENO) == 1 }

    /// Writes `text` to stdout as is (no newline added) and flushes.
    package static func out(_ text: String) { writeAll(STDOUT_FILENO, text) }

    /// Writes `bytes` to stdout as they are (a byte model's samples need not be UTF-8).
    package static func out(bytes: [UInt8]) {
        bytes.withUnsafeBytes { _ = POSIXWrite.all($0, to: STDOUT_FILENO) }
    }

    /// Writes `text` to stderr as is.
    package static func writeError(_ text: String) { writeAll(STDERR_FILENO, text) }

    /// write(2) until everything is written (unbuffered, so stdout and stderr interleave
    /// in order on a terminal). A closed pipe ends the output silently.
    private static func writeAll(_ fd: Int32, _ text: String) {
        var text = text
        text.withUTF8 { _ = POSIXWrite.all(UnsafeRawBufferPointer($0), to: fd) }
    }

    /// A diagnostic line on stderr.
    package static func note(_ line: String) { writeError(line + "\n") }

    /// `warning: <message>` on stderr.
    package static func warning(_ message: String) { writeError("warning: \(message)\n") }

    /// `error: <message>` on stderr.
    package static func error(_ message: String) { writeError("error: \(message)\n") }
}
