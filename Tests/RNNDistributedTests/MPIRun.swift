import Foundation
import ToolTesting

#if canImport(Glibc)
    import Glibc
#endif

/// Runs the package's executables under Open MPI's `mpirun` on this machine: as root
/// (`OMPI_ALLOW_RUN_AS_ROOT`), with more ranks than cores (`--oversubscribe`), and one
/// GEMM thread per rank.
enum MPIRun {
    /// `mpirun` on the PATH (or in /usr/bin), or nil when Open MPI's launcher is not
    /// installed (`scripts/bootstrap.sh` installs it; then no test here is skipped).
    static let launcher: URL? = {
        let paths = (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin").split(separator: ":").map(String.init) + ["/usr/bin"]
        return paths.map { URL(fileURLWithPath: $0).appendingPathComponent("mpirun") }
            .first { FileManager.default.isExecutableFile(atPath: $0.path) }
    }()

    /// Why the tests that launch ranks are skipped, or nil when they run.
    static var skipReason: String? { launcher == nil ? "mpirun not found: install openmpi-bin (scripts/bootstrap.sh)" : nil }

    static let environment = [
        "OMPI_ALLOW_RUN_AS_ROOT": "1", "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM": "1",
        "OPENBLAS_NUM_THREADS": "1", "OMPI_MCA_rmaps_base_oversubscribe": "1",
    ]

    /// `mpirun -np ranks [mca] executable arguments`, started with output to temporary files.
    static func start(
        ranks: Int, _ executable: String, _ arguments: [String], mca: [String] = [],
        in directory: String? = nil
    ) throws -> (Process, URL, URL) {
        let process = Process()
        process.executableURL = launcher!
        process.arguments =
            ["--oversubscribe", "--bind-to", "none", "-np", String(ranks)] + mca
            + [ToolProcess.locate(executable).path] + arguments
        process.environment = ProcessInfo.processInfo.environment.merging(
            environment.merging(ToolProcess.scopedEnvironment) { $1 }
        ) { $1 }
        if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
        let tmp = FileManager.default.temporaryDirectory
        let out = tmp.appendingPathComponent("mpirun-out-\(UUID().uuidString)")
        let err = tmp.appendingPathComponent("mpirun-err-\(UUID().uuidString)")
        _ = FileManager.default.createFile(atPath: out.path, contents: nil)
        _ = FileManager.default.createFile(atPath: err.path, contents: nil)
        process.standardOutput = try FileHandle(forWritingTo: out)
        process.standardError = try FileHandle(forWritingTo: err)
        process.standardInput = FileHandle.nullDevice
        // The launcher inherits the signal mask of the thread that starts it, and the test
        // runner's threads block most signals: mpirun would never see the Ctrl-C (SIGINT)
        // a test sends it. So start it with nothing blocked.
        var none = sigset_t(), saved = sigset_t()
        sigemptyset(&none)
        pthread_sigmask(SIG_SETMASK, &none, &saved)
        defer { pthread_sigmask(SIG_SETMASK, &saved, nil) }
        try process.run()
        return (process, out, err)
    }

    /// `start`, then waits (at most `timeout` seconds).
    static func run(
        ranks: Int, _ executable: String, _ arguments: [String], mca: [String] = [], in directory: String? = nil,
        timeout: Double = 60
    ) throws -> ToolProcess.Result {
        let (process, out, err) = try start(ranks: ranks, executable, arguments, mca: mca, in: directory)
        return ToolProcess.finish(process, out, err, timeout: timeout)
    }
}
