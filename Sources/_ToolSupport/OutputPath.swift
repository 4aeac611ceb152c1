import Foundation
import _FileIO

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// Checks that an output file can be created before hours of training depend on it.
package enum OutputPath {
    package static func checkWritable(_ path: String, option: String) throws {
        guard !path.isEmpty else { throw CLIError("\(option) needs a file path") }
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue {
            throw CLIError("\(option) '\(path)' is a directory; give a file path")
        }
        // An existing FIFO, device or socket would be replaced by the saved file (as root,
        // `--checkpoint /dev/null` would replace the system's /dev/null).
        var info = stat()
        if stat(path, &info) == 0, (info.st_mode & S_IFMT) != S_IFREG {
            throw CLIError("\(option) '\(path)' exists and is not a regular file (a FIFO, device or socket); give a file path")
        }
        // Through a symbolic link, the file it points to is replaced (`AtomicFile`): its
        // directory is the one that must be writable.
        var link = stat()
        let isLink = lstat(path, &link) == 0 && (link.st_mode & S_IFMT) == S_IFLNK
        let directory = ((isLink ? (path as NSString).resolvingSymlinksInPath : path) as NSString).deletingLastPathComponent
        let dir = directory.isEmpty ? "." : directory
        guard FileManager.default.fileExists(atPath: dir, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw CLIError("cannot write \(option) '\(path)': directory '\(dir)' does not exist; create it first")
        }
        guard access(dir, W_OK) == 0 else {
            throw CLIError("cannot write \(option) '\(path)': directory '\(dir)' is not writable")
        }
    }

    /// Writes `text` to `path` atomically (`AtomicFile`: a full disk leaves any previous
    /// file as it was).
    package static func write(_ text: String, to path: String, option: String) throws {
        try write(Array(text.utf8), to: path, option: option)
    }

    /// Writes `bytes` to `path` atomically, as `write(_:to:option:)`.
    package static func write(_ bytes: [UInt8], to path: String, option: String) throws {
        do {
            try AtomicFile.write(bytes, to: path)
        } catch {
            throw CLIError("cannot write \(option) '\(path)': \(error.reason)")
        }
    }

    /// The canonical absolute form of `path` (symlinks resolved when it exists).
    package static func canonical(_ path: String) -> String {
        URL(fileURLWithPath: path).standardizedFileURL.resolvingSymlinksInPath().path
    }
}
