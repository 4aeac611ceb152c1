#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// Writes a file so that a reader never sees half of it: the bytes go to the temporary
/// file `.<name>.partial` in the same directory (one name per destination, so a killed
/// run's leftover is reused; locked while written, so a second writer of the same file
/// fails instead of mixing bytes), which is fsync'ed and then renamed over the
/// destination. An existing file is either left untouched or replaced by the complete new
/// one, also when the disk fills up. Through a symbolic link, the file it points to is
/// replaced and the link kept; an existing directory, FIFO, device or socket is never
/// replaced. On failure the temporary file is removed.
///
/// Checkpoints and charrnn's reports (CSV, SVG, JSON) are written through it.
package enum AtomicFile {
    /// Why a file could not be written: the system's reason, naming the file.
    package struct Failure: Error, CustomStringConvertible {
        package let reason: String
        package var description: String { reason }
    }

    /// Writes `bytes` to `path` atomically (see the type).
    /// - Complexity: O(n) for n bytes, one fsync of the file and one of its directory.
    package static func write(_ bytes: [UInt8], to path: String) throws(Failure) {
        let destination = try writeDestination(path)
        guard let lastSlash = destination.utf8.lastIndex(of: UInt8(ascii: "/")) else {
            return try write(bytes, path: path, target: destination, directory: ".", prefix: "", base: destination)
        }
        let prefix = String(destination[...lastSlash])  // "dir/"
        let base = String(destination[destination.index(after: lastSlash)...])
        let directory = prefix == "/" ? "/" : String(prefix.dropLast())
        try write(bytes, path: path, target: destination, directory: directory, prefix: prefix, base: base)
    }

    /// Where writing `path` puts the file: `path` itself, or for a symlink the file it
    /// points to (so the link is kept and its target replaced). Throws when that exists
    /// and is not a regular file: a FIFO, a device or a socket is never replaced.
    private static func writeDestination(_ path: String) throws(Failure) -> String {
        func fail(_ reason: String) -> Failure { Failure(reason: reason) }
        var target = path
        var info = stat()
        for _ in 0..<40 {  // as many links as the kernel follows (ELOOP beyond)
            guard lstat(target, &info) == 0 else { return target }  // nothing there yet: create it
            guard (info.st_mode & S_IFMT) == S_IFLNK else { break }
            var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
            let n = readlink(target, &buffer, buffer.count - 1)
            guard n > 0 else { throw fail("cannot read the symbolic link '\(target)': \(errnoText())") }
            let link = String(decoding: buffer[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
            if link.hasPrefix("/") {
                target = link
            } else if let slash = target.utf8.lastIndex(of: UInt8(ascii: "/")) {
                target = String(target[...slash]) + link
            } else {
                target = link
            }
        }
        if (info.st_mode & S_IFMT) == S_IFLNK { throw fail("too many levels of symbolic links") }
        guard (info.st_mode & S_IFMT) == S_IFREG else {
            throw fail("'\(target)' exists and is not a regular file (a directory, FIFO, device or socket); it is not replaced")
        }
        return target
    }

    /// Writes `bytes` to `target` (= `path`, or what its symlink points to) through the
    /// one temporary name `.<base>.partial` in its directory: created or reused (a killed
    /// run's leftover is truncated and then renamed away), locked with `flock` while it is
    /// written so that two writers of the same file cannot mix their bytes, fsync'ed and
    /// renamed over the target.
    private static func write(
        _ bytes: [UInt8], path: String, target: String, directory: String, prefix: String,
        base: String
    ) throws(Failure) {
        func fail(_ reason: String) -> Failure { Failure(reason: reason) }
        guard !base.isEmpty, base != ".", base != ".." else { throw fail("the path does not name a file") }

        let temporary = "\(prefix).\(base).partial"
        var fd: Int32
        repeat {
            fd = open(temporary, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK, 0o666)
        } while fd < 0 && errno == EINTR
        guard fd >= 0 else { throw fail("cannot create temporary file '\(temporary)': \(errnoText())") }
        var info = stat()
        guard fstat(fd, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else {
            close(fd)
            throw fail("the temporary file '\(temporary)' exists and is not a regular file; remove it")
        }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            let busy = errno == EWOULDBLOCK
            close(fd)
            throw fail(
                busy
                    ? "another process is writing '\(target)' now (it holds '\(temporary)')"
                    : "cannot lock temporary file '\(temporary)': \(errnoText())")
        }
        // Another writer may have renamed the file this descriptor opened into place between
        // the open and the lock: then it is the destination, not the temporary file.
        var named = stat()
        guard lstat(temporary, &named) == 0, named.st_dev == info.st_dev, named.st_ino == info.st_ino else {
            close(fd)
            throw fail("another process wrote '\(target)' at the same time; try again")
        }
        var failure: String? = nil
        if ftruncate(fd, 0) != 0 { failure = "cannot truncate temporary file '\(temporary)': \(errnoText())" }
        if failure == nil, !bytes.withUnsafeBytes({ POSIXWrite.all($0, to: fd) }) {
            failure = "cannot write temporary file '\(temporary)': \(errnoText())"
        }
        if failure == nil, fsync(fd) != 0 { failure = "cannot fsync temporary file '\(temporary)': \(errnoText())" }
        if failure == nil, rename(temporary, target) != 0 {
            failure = "cannot rename '\(temporary)' to '\(target)': \(errnoText())"
        }
        if failure != nil { unlink(temporary) }
        // Closing releases the lock, after the rename: no other writer truncates the bytes
        // between the write and the rename.
        if close(fd) != 0, failure == nil { failure = "cannot close '\(target)': \(errnoText())" }
        if let failure { throw fail(failure) }
        // Make the rename itself durable (best effort).
        let dirFD = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if dirFD >= 0 { _ = fsync(dirFD); close(dirFD) }
    }

    private static func errnoText(_ code: Int32 = errno) -> String { String(cString: strerror(code)) }
}
