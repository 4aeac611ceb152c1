#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// A regular file opened for reading, its size known before anything is read.
///
/// It is opened with `O_NONBLOCK` and checked with `fstat` before a byte is read, so
/// that a FIFO (whose `open` would wait for a writer), a device such as `/dev/zero`
/// (endless), a socket or a directory is refused at once instead of hanging or filling
/// memory. Shared by `SafeTensors` and the command-line tools' text input.
///
/// ```swift
/// let file = try RegularFile(path: "input.txt")
/// defer { file.close() }
/// var bytes = [UInt8](repeating: 0, count: file.size)
/// try file.read(into: &bytes, at: 0)
/// ```
package struct RegularFile {
    /// Why a path cannot be read as a regular file.
    package enum Failure: Error, CustomStringConvertible {
        case notFound
        case isDirectory
        /// A FIFO, a device, a socket: "a FIFO (named pipe)", "a character device", ...
        case notRegular(kind: String)
        /// `open`, `fstat` or `read` failed with this `strerror` text.
        case failed(String)
        /// The file ended (or shrank) before the bytes that were asked for.
        case truncated(expected: Int, got: Int)

        package var description: String {
            switch self {
            case .notFound: return "no such file"
            case .isDirectory: return "it is a directory"
            case .notRegular(let kind): return "it is \(kind), not a regular file"
            case .failed(let reason): return reason
            case .truncated(let expected, let got): return "the file ended after \(got) of \(expected) bytes"
            }
        }
    }

    /// The file descriptor, open until `close()`.
    package let descriptor: Int32
    /// The size in bytes at opening.
    package let size: Int

    /// Opens `path` for reading; throws `Failure` unless it is a regular file (a symlink
    /// to one is followed).
    package init(path: String) throws(Failure) {
        var fd: Int32
        repeat { fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK) } while fd < 0 && errno == EINTR
        guard fd >= 0 else {
            let code = errno
            switch code {
            case ENOENT: throw .notFound
            case EISDIR: throw .isDirectory
            default: throw .failed(String(cString: strerror(code)))
            }
        }
        var info = stat()
        guard fstat(fd, &info) == 0 else {
            let reason = String(cString: strerror(errno))
            closeDescriptor(fd)
            throw .failed(reason)
        }
        let kind = info.st_mode & S_IFMT
        guard kind == S_IFREG else {
            closeDescriptor(fd)
            switch kind {
            case S_IFDIR: throw .isDirectory
            case S_IFIFO: throw .notRegular(kind: "a FIFO (named pipe)")
            case S_IFCHR: throw .notRegular(kind: "a character device")
            case S_IFBLK: throw .notRegular(kind: "a block device")
            case S_IFSOCK: throw .notRegular(kind: "a socket")
            default: throw .notRegular(kind: "an unusual file")
            }
        }
        // Back to blocking reads (O_NONBLOCK means nothing for a regular file's data, but
        // say what is meant).
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK)
        descriptor = fd
        size = Int(info.st_size)
    }

    /// Fills `bytes` from the file at byte `offset` (pread); throws `.truncated` if the
    /// file ends first.
    /// - Complexity: O(`bytes.count`).
    package func read(into bytes: inout [UInt8], at offset: Int) throws(Failure) {
        var failure: Failure?
        bytes.withUnsafeMutableBytes { buffer in
            do throws(Failure) { try read(into: buffer, at: offset) } catch { failure = error }
        }
        if let failure { throw failure }
    }

    /// Fills `buffer` from the file at byte `offset` (pread); throws `.truncated` if the
    /// file ends first.
    package func read(into buffer: UnsafeMutableRawBufferPointer, at offset: Int) throws(Failure) {
        var done = 0
        let wanted = buffer.count
        while done < wanted {
            let n = pread(descriptor, buffer.baseAddress! + done, wanted - done, off_t(offset + done))
            if n < 0 {
                if errno == EINTR { continue }
                throw .failed(String(cString: strerror(errno)))
            }
            if n == 0 { throw .truncated(expected: wanted, got: done) }
            done += n
        }
    }

    /// The whole file as read now (`size` bytes at opening).
    package func readAll() throws(Failure) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: size)
        try read(into: &bytes, at: 0)
        return bytes
    }

    package func close() { closeDescriptor(descriptor) }
}

// File scope: inside `RegularFile`, `close` names its own method.
private func closeDescriptor(_ fd: Int32) { _ = close(fd) }
