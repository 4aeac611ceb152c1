import ArgumentParser
import Foundation

extension ParsableCommand {
    /// Parses the process's arguments and runs the command; every error becomes one
    /// `error: ...` line on stderr and a non-zero exit status (never a backtrace):
    /// `CLIError`'s message and code, `Interrupted`'s 128 + signal, ArgumentParser's own
    /// (`--help` and `--version` exit 0 after printing).
    package static func runReportingErrors() -> Never {
        do {
            var command = try parseAsRoot()
            try command.run()
            Foundation.exit(0)
        } catch let error as CLIError {
            Console.error(error.message)
            Foundation.exit(error.exitCode)
        } catch let interrupted as Interrupted {
            Foundation.exit(interrupted.exitCode)
        } catch {
            let code = exitCode(for: error)
            if code == .success {
                print(fullMessage(for: error))
                Foundation.exit(0)
            }
            var text = fullMessage(for: error)
            if text.hasPrefix("Error: ") { text = "error: " + text.dropFirst("Error: ".count) }
            Console.writeError(text.hasSuffix("\n") ? text : text + "\n")
            Foundation.exit(code.rawValue)
        }
    }
}
