import _FileIO

/// Reads a CSV file (RFC 4180) one record at a time, streaming it in blocks of 1 MiB: the
/// file is never held whole in memory.
///
/// Fields are separated by commas and records by `\n` or `\r\n`; a field in double quotes
/// may hold commas, line breaks and doubled quotes (`""` is one `"`). A UTF-8 byte order
/// mark at the start is skipped; a last record without a line break is read. What RFC 4180
/// forbids is an error naming the line and column: a quote inside an unquoted field, text
/// after a closing quote, a quote left open at the end of the file. A field longer than
/// `maximumFieldBytes` or a record of more than `maximumFields` fields is an error too (a
/// damaged or hostile file's, which would otherwise exhaust memory).
///
/// ```swift
/// var reader = try CSVReader(path: "data.csv")
/// var record = CSVRecord()
/// while try reader.next(into: &record) { print(reader.line, record.string(0)) }
/// ```
/// - Complexity: O(bytes of the file); memory O(block + the longest record).
public struct CSVReader {
    /// The longest field accepted, in bytes.
    public static let maximumFieldBytes = 1 << 20
    /// The most fields a record may have.
    public static let maximumFields = 100_000

    public let path: String
    private let file: RegularFile
    private var block: [UInt8]
    private var blockStart = 0
    private var position = 0
    private var blockEnd = 0
    private var atEnd = false
    private var nextLine = 1
    /// The line the last record read starts on (1-based).
    public private(set) var line = 0

    public init(path: String) throws(CSVError) {
        self.path = path
        do {
            file = try RegularFile(path: path)
        } catch {
            throw CSVError(path: path, "cannot read it: \(error)")
        }
        block = [UInt8](repeating: 0, count: 1 << 20)
        try refill()
        if blockEnd >= 3 && block[0] == 0xEF && block[1] == 0xBB && block[2] == 0xBF { position = 3 }
    }

    /// The size of the file in bytes.
    public var fileSize: Int { file.size }

    /// Bytes read so far (for progress).
    public var bytesRead: Int { blockStart + position }

    private mutating func refill() throws(CSVError) {
        blockStart += blockEnd
        position = 0
        let count = min(block.count, file.size - blockStart)
        guard count > 0 else {
            blockEnd = 0
            atEnd = true
            return
        }
        var failure: RegularFile.Failure?
        let (file, offset) = (self.file, blockStart)
        block.withUnsafeMutableBytes { b in
            do throws(RegularFile.Failure) {
                try file.read(into: UnsafeMutableRawBufferPointer(rebasing: b[0..<count]), at: offset)
            } catch {
                failure = error
            }
        }
        if let failure { throw CSVError(path: path, "cannot read it: \(failure)") }
        blockEnd = count
    }

    /// The next byte, or nil at the end of the file.
    private mutating func byte() throws(CSVError) -> UInt8? {
        if position == blockEnd {
            if atEnd { return nil }
            try refill()
            if atEnd { return nil }
        }
        defer { position += 1 }
        return block[position]
    }

    /// Reads the next record into `record`; false at the end of the file. An empty line
    /// is a record of one empty field.
    public mutating func next(into record: inout CSVRecord) throws(CSVError) -> Bool {
        record.removeAll()
        line = nextLine
        guard var c = try byte() else { return false }
        var fieldStart = 0
        func fail(_ reason: String) -> CSVError {
            CSVError(path: path, line: line, column: record.count + 1, reason)
        }
        /// Appends `byte` to the field, which may not outgrow `maximumFieldBytes`.
        func append(_ byte: UInt8, hint: String) throws(CSVError) {
            record.bytes.append(byte)
            if record.bytes.count - fieldStart > Self.maximumFieldBytes {
                throw fail("a field is longer than \(Self.maximumFieldBytes) bytes\(hint)")
            }
        }
        while true {
            if c == UInt8(ascii: "\"") {
                guard record.bytes.count == fieldStart else {
                    throw fail("a quote inside an unquoted field; quote the whole field (\"...\") and double quotes inside it")
                }
                let openedOn = nextLine
                while true {
                    guard let q = try byte() else {
                        throw CSVError(
                            path: path, line: openedOn, column: record.count + 1,
                            "a quoted field is not closed before the end of the file")
                    }
                    if q == UInt8(ascii: "\"") {
                        guard let after = try byte() else { break }
                        if after == UInt8(ascii: "\"") {
                            record.bytes.append(q)
                            continue
                        }
                        position -= 1  // look at it again below
                        break
                    }
                    if q == UInt8(ascii: "\n") { nextLine += 1 }
                    try append(q, hint: " (a quote left open?)")
                }
                guard let after = try byte() else {
                    record.endField()
                    return true
                }
                c = after
                if c != UInt8(ascii: ",") && c != UInt8(ascii: "\n") && c != UInt8(ascii: "\r") {
                    throw fail("text after a closing quote; quote the whole field")
                }
                continue
            }
            if c == UInt8(ascii: ",") {
                record.endField()
                guard record.count < Self.maximumFields else {
                    throw fail("more than \(Self.maximumFields) fields in one record")
                }
                fieldStart = record.bytes.count
            } else if c == UInt8(ascii: "\n") {
                nextLine += 1
                record.endField()
                return true
            } else if c == UInt8(ascii: "\r") {
                if let n = try byte(), n != UInt8(ascii: "\n") { position -= 1 }
                nextLine += 1
                record.endField()
                return true
            } else {
                try append(c, hint: "")
            }
            guard let n = try byte() else {
                record.endField()
                return true
            }
            c = n
        }
    }
}

/// The fields of one record: their bytes end to end and where each ends (reused from
/// record to record, so reading allocates only while records grow).
public struct CSVRecord {
    var bytes: [UInt8] = []
    var ends: [Int] = []

    public init() {}

    /// The number of fields.
    public var count: Int { ends.count }

    mutating func removeAll() {
        bytes.removeAll(keepingCapacity: true)
        ends.removeAll(keepingCapacity: true)
    }

    mutating func endField() { ends.append(bytes.count) }

    /// The bytes of field `i`.
    public func field(_ i: Int) -> ArraySlice<UInt8> { bytes[(i == 0 ? 0 : ends[i - 1])..<ends[i]] }

    /// Field `i` as text, or nil when it is not valid UTF-8.
    public func string(_ i: Int) -> String? { String(validating: field(i), as: UTF8.self) }
}
