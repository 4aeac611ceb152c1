#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// write(2) in a loop until every byte is written, retrying on EINTR: the one loop
/// behind `SafeTensors`' atomic file writes and charrnn's unbuffered console output.
package enum POSIXWrite {
    /// Writes all of `bytes` to `fd`. Returns false on the first error other than EINTR,
    /// with `errno` still describing it.
    /// - Complexity: O(bytes.count).
    package static func all(_ bytes: UnsafeRawBufferPointer, to fd: Int32) -> Bool {
        guard let base = bytes.baseAddress else { return true }
        var done = 0
        while done < bytes.count {
            let n = write(fd, base + done, bytes.count - done)
            if n < 0 {
                if errno == EINTR { continue }
                return false
            }
            done += n
        }
        return true
    }
}
