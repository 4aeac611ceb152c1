import Foundation
import _ToolSupport

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// An advisory lock (`flock`) on a checkpoint destination, held while a run trains into
/// it: a second run on the same path stops at once with a message naming the first
/// (its process id), instead of both saving and one run's work being lost. The lock file
/// `.<name>.lock` beside the checkpoint holds the owner's pid and is removed when the run
/// ends; a killed run's lock is released by the kernel, and its file is taken over.
///
/// Creating the lock file is also the up-front proof that the checkpoint's directory
/// can be written (a read-only or pseudo file system fails here, before training).
final class CheckpointLock {
    private let descriptor: Int32
    private let path: String

    /// Takes the lock for `checkpoint`; `option` names the path in errors.
    init(for checkpoint: String, option: String) throws {
        let slash = checkpoint.lastIndex(of: "/")
        let directory = slash.map { String(checkpoint[...$0]) } ?? ""
        let base = slash.map { String(checkpoint[checkpoint.index(after: $0)...]) } ?? checkpoint
        path = directory + "." + base + ".lock"
        var fd: Int32
        repeat { fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK, 0o644) } while fd < 0 && errno == EINTR
        guard fd >= 0 else {
            throw CLIError("cannot write \(option) '\(checkpoint)': cannot create '\(path)' beside it: \(String(cString: strerror(errno)))")
        }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            let owner = Self.owner(fd)
            close(fd)
            throw CLIError(
                "another charrnn run\(owner.map { " (pid \($0))" } ?? "") is training into \(option) '\(checkpoint)'; wait for it to finish, or give another \(option)"
            )
        }
        let pid = Array("\(getpid())\n".utf8)
        _ = ftruncate(fd, 0)
        _ = pid.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, 0) }
        descriptor = fd
    }

    /// The pid written in the lock file, if any.
    private static func owner(_ fd: Int32) -> Int32? {
        var buffer = [UInt8](repeating: 0, count: 32)
        let n = buffer.withUnsafeMutableBytes { pread(fd, $0.baseAddress, $0.count, 0) }
        guard n > 0 else { return nil }
        return Int32(String(decoding: buffer[0..<n], as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))
    }

    /// Removes the lock file and releases the lock.
    deinit {
        unlink(path)
        close(descriptor)
    }
}
