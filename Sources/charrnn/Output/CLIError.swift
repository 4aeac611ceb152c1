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

/// Training stopped by a signal after saving (or sampling by Ctrl-C); the process exits
/// with 128 + the signal's number, the shell convention: 130 for Ctrl-C (SIGINT), 143 for
/// SIGTERM, 138 for SIGUSR1.
struct Interrupted: Error {
    var signal: Int32 = SIGINT
    var exitCode: Int32 { 128 + signal }
}
