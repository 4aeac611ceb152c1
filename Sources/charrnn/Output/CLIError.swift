import Foundation

/// A user-facing failure: printed as one `error: <message>` line on stderr, then the
/// process exits with `exitCode`. Messages say what is wrong and what to do.
struct CLIError: Error, CustomStringConvertible {
    var message: String
    var exitCode: Int32 = 1

    init(_ message: String, exitCode: Int32 = 1) {
        self.message = message
        self.exitCode = exitCode
    }

    var description: String { message }
}

/// Training stopped by Ctrl-C after saving; the process exits with 130 (128 + SIGINT),
/// the shell convention for "interrupted".
struct Interrupted: Error {
    var exitCode: Int32 { 130 }
}
