import _FileIO

/// What `UTF8FileScanner.scan` hands each character to.
package protocol ScalarSink {
    /// An ASCII character (`byte < 0x80`).
    mutating func ascii(_ byte: UInt8)
    /// Any other Unicode scalar.
    mutating func scalar(_ value: UInt32)
}

/// A UTF-8 file decoded in one streaming pass through a fixed buffer (1 MiB): memory
/// stays flat whatever the file's size, ASCII takes a fast path, and the first invalid
/// byte is reported with its offset.
///
/// The rules are the Unicode standard's (those of `Unicode.UTF8.ForwardParser`): no
/// overlong forms, no surrogates, nothing above U+10FFFF, no truncated sequence.
package struct UTF8FileScanner {
    /// The first byte of an invalid sequence and its offset in the file.
    package struct InvalidByte: Error {
        package var byte: UInt8
        package var offset: Int
    }

    package let file: RegularFile
    package var chunkSize = 1 << 20

    package init(file: RegularFile) { self.file = file }

    /// Decodes the whole file into `sink`; with `fingerprint`, also folds every byte into
    /// that FNV-1a 64 hash. Throws `InvalidByte` at the first invalid sequence, or the
    /// file's read failure.
    /// - Complexity: O(n) for n bytes; O(`chunkSize`) memory.
    package func scan<Sink: ScalarSink>(into sink: inout Sink, fingerprint: UnsafeMutablePointer<UInt64>? = nil) throws {
        var buffer = [UInt8](repeating: 0, count: chunkSize + 4)
        var carried = 0  // bytes of an incomplete sequence moved to the buffer's start
        var position = 0  // file offset of buffer[carried]
        var hash = fingerprint?.pointee ?? 0
        while position < file.size || carried > 0 {
            let wanted = min(chunkSize, file.size - position)
            if wanted > 0 {
                let at = carried
                try buffer.withUnsafeMutableBytes { b in
                    try file.read(into: UnsafeMutableRawBufferPointer(rebasing: b[at..<at + wanted]), at: position)
                }
            }
            let end = carried + wanted
            let atEOF = position + wanted >= file.size
            let base = position - carried  // file offset of buffer[0]
            let stop: Int = try buffer.withUnsafeBufferPointer { b in
                if fingerprint != nil {
                    for i in carried..<end { hash = (hash ^ UInt64(b[i])) &* 0x100_0000_01b3 }
                }
                return try Self.decode(b, count: end, atEOF: atEOF, base: base, into: &sink)
            }
            position += wanted
            carried = end - stop
            if carried > 0 {
                if atEOF { throw InvalidByte(byte: buffer[stop], offset: base + stop) }
                for k in 0..<carried { buffer[k] = buffer[stop + k] }
            }
            if wanted == 0 { break }
        }
        fingerprint?.pointee = hash
    }

    /// Decodes `b[0..<count]` into `sink`; returns where an incomplete sequence at the end
    /// starts (`count` when none), unless `atEOF`, when an incomplete sequence is invalid.
    private static func decode<Sink: ScalarSink>(
        _ b: UnsafeBufferPointer<UInt8>, count: Int, atEOF: Bool, base: Int,
        into sink: inout Sink
    ) throws -> Int {
        var i = 0
        let raw = UnsafeRawPointer(b.baseAddress!)
        while i < count {
            // Eight ASCII bytes at once (the common case of most texts).
            while i + 8 <= count, raw.loadUnaligned(fromByteOffset: i, as: UInt64.self) & 0x8080_8080_8080_8080 == 0 {
                for k in 0..<8 { sink.ascii(b[i + k]) }
                i += 8
            }
            guard i < count else { break }
            let lead = b[i]
            if lead < 0x80 {
                sink.ascii(lead)
                i += 1
                continue
            }
            let length: Int
            var value: UInt32
            var low: UInt8 = 0x80, high: UInt8 = 0xBF  // allowed range of the second byte
            switch lead {
            case 0xC2...0xDF: length = 2; value = UInt32(lead & 0x1F)
            case 0xE0: length = 3; value = 0; low = 0xA0
            case 0xE1...0xEC, 0xEE...0xEF: length = 3; value = UInt32(lead & 0x0F)
            case 0xED: length = 3; value = 0x0D; high = 0x9F
            case 0xF0: length = 4; value = 0; low = 0x90
            case 0xF1...0xF3: length = 4; value = UInt32(lead & 0x07)
            case 0xF4: length = 4; value = 4; high = 0x8F
            default: throw InvalidByte(byte: lead, offset: base + i)
            }
            if i + length > count {
                // Possibly cut by the buffer: the continuation bytes present must be valid.
                for k in 1..<(count - i) {
                    let c = b[i + k]
                    if k == 1 ? (c < low || c > high) : (c & 0xC0 != 0x80) { throw InvalidByte(byte: lead, offset: base + i) }
                }
                if atEOF { throw InvalidByte(byte: lead, offset: base + i) }
                return i
            }
            for k in 1..<length {
                let c = b[i + k]
                if k == 1 ? (c < low || c > high) : (c & 0xC0 != 0x80) { throw InvalidByte(byte: lead, offset: base + i) }
                value = value << 6 | UInt32(c & 0x3F)
            }
            sink.scalar(value)
            i += length
        }
        return count
    }
}
