import Foundation

/// A user-facing failure: printed as one `error: <message>` line on stderr, then the
/// process exits with `exitCode`. Messages say what is wrong and what to do.
package struct CLIError: Error, CustomStringConvertible {
    package var message: String
    package var exitCode: Int32 = 1

    package init(_ message: String, exitCode: Int32 = 1) {
        self.message = message
        self.exitCode = exitCode
    }

    package var description: String { message }
}

/// Training stopped by a signal after saving (or sampling by Ctrl-C); the process exits
/// with 128 + the signal's number, the shell convention: 130 for Ctrl-C (SIGINT), 143 for
/// SIGTERM, 138 for SIGUSR1.
package struct Interrupted: Error {
    package var signal: Int32 = SIGINT

    package init(signal: Int32 = SIGINT) { self.signal = signal }
    package var exitCode: Int32 { 128 + signal }
}
