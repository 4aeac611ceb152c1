import Foundation
import _FileIO

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// Named `Float` tensors plus a string map of metadata, read from and written to the
/// [safetensors](https://github.com/huggingface/safetensors) format, so checkpoints load
/// with `safetensors.torch.load_file`.
///
/// The file format:
/// ```text
/// [8 bytes]  N, the header length, UInt64 little-endian
/// [N bytes]  UTF-8 JSON object, optionally padded with trailing spaces:
///            {"__metadata__": {"key": "value", ...},          (optional, string -> string)
///             "name": {"dtype": "F32", "shape": [2, 3], "data_offsets": [begin, end]}, ...}
/// [rest]     the data buffer; tensor `name` is bytes begin..<end of it (offsets are
///            relative to the start of the buffer), row-major, little-endian
/// ```
/// Only the `F32` dtype is supported. A tensor's byte length is `product(shape) * 4`;
/// shape `[]` is a scalar (one element), a shape containing 0 has no elements.
///
/// ```swift
/// var file = SafeTensorsFile(metadata: ["vocabulary": "abc"])
/// file.tensors["fc.bias"] = .init(shape: [3], values: [0.1, 0.2, 0.3])
/// try file.write(path: "model.safetensors")            // atomic replace
/// let loaded = try SafeTensorsFile.read(path: "model.safetensors")
/// loaded.tensors["fc.bias"]?.values                    // [0.1, 0.2, 0.3]
/// ```
public struct SafeTensorsFile: Equatable, Sendable {
    /// A dense row-major `Float` tensor. `values.count` must equal the product of `shape`.
    public struct Tensor: Equatable, Sendable {
        /// The dimensions; `[]` for a scalar.
        public var shape: [Int]
        /// The elements in row-major order.
        public var values: [Float]

        /// A tensor of `shape` holding `values` (`values.count == product(shape)`, dims >= 0).
        public init(shape: [Int], values: [Float]) {
            precondition(shape.allSatisfy { $0 >= 0 }, "negative dimension in shape \(shape)")
            precondition(
                shape.reduce(1, *) == values.count,
                "shape \(shape) needs \(shape.reduce(1, *)) values, got \(values.count)")
            self.shape = shape
            self.values = values
        }

        /// A tensor of `shape` from its little-endian `F32` bytes (`product(shape) * 4` of them).
        init(shape: [Int], littleEndianBytes source: UnsafeRawBufferPointer) {
            let count = source.count / MemoryLayout<Float>.size
            let values = [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
                UnsafeMutableRawBufferPointer(buffer).copyMemory(from: source)
                #if _endian(big)
                    for i in 0..<count { buffer[i] = Float(bitPattern: UInt32(littleEndian: buffer[i].bitPattern)) }
                #endif
                initialized = count
            }
            self.init(shape: shape, values: values)
        }
    }

    /// The tensors by name. The name `__metadata__` is reserved by the format.
    public var tensors: [String: Tensor]
    /// Free-form string metadata, stored under `__metadata__` (omitted when empty).
    public var metadata: [String: String]

    /// The largest header accepted when reading (the reference implementation's limit).
    public static let maximumHeaderLength: UInt64 = 100_000_000

    /// A file with these tensors and metadata.
    public init(tensors: [String: Tensor] = [:], metadata: [String: String] = [:]) {
        self.tensors = tensors
        self.metadata = metadata
    }

    // MARK: - Reading

    /// Parses the bytes of a safetensors file.
    ///
    /// Accepts any tensor order in the header and in the data buffer, trailing-space
    /// header padding, a missing, empty or `null` `__metadata__`, zero-sized and scalar
    /// tensors, unknown extra fields in tensor entries, and unused bytes in the data buffer.
    /// Throws a `SafeTensorsError` describing the first problem found (tensors are
    /// checked in name order, so the error is deterministic).
    ///
    /// - Complexity: O(*n* + *t* log *t*) for *n* bytes and *t* tensors; each tensor's
    ///   data is converted with one bulk copy.
    public init(bytes: [UInt8]) throws {
        guard bytes.count >= 8 else { throw SafeTensorsError.fileTooShort(byteCount: bytes.count) }
        var headerLength: UInt64 = 0
        for i in 0..<8 { headerLength |= UInt64(bytes[i]) << (8 * UInt64(i)) }
        try Self.checkHeaderLength(headerLength, fileSize: bytes.count)
        let dataStart = 8 + Int(headerLength)
        let header = try Header(Array(bytes[8..<dataStart]), dataSize: bytes.count - dataStart)
        var tensors: [String: Tensor] = [:]
        tensors.reserveCapacity(header.entries.count)
        bytes.withUnsafeBytes { raw in
            for e in header.entries {
                let source = UnsafeRawBufferPointer(rebasing: raw[(dataStart + e.range.lowerBound)..<(dataStart + e.range.upperBound)])
                tensors[e.name] = Tensor(shape: e.shape, littleEndianBytes: source)
            }
        }
        self.init(tensors: tensors, metadata: header.metadata)
    }

    /// The header length read from a file's first 8 bytes, against the limit and the file.
    private static func checkHeaderLength(_ headerLength: UInt64, fileSize: Int) throws {
        guard headerLength <= Self.maximumHeaderLength else {
            throw SafeTensorsError.headerTooLarge(headerLength: headerLength)
        }
        guard headerLength <= UInt64(fileSize - 8) else {
            throw SafeTensorsError.headerExceedsFile(headerLength: headerLength, fileSize: fileSize)
        }
    }

    /// A parsed and validated header: the metadata and each tensor's name, shape and byte
    /// range in a data buffer of `dataSize` bytes (checked: in bounds, sized for its
    /// shape, not overlapping another).
    private struct Header {
        var metadata: [String: String] = [:]
        var entries: [(name: String, shape: [Int], range: Range<Int>)] = []

        init(_ header: [UInt8], dataSize: Int) throws {
            guard String(validating: header, as: UTF8.self) != nil else { throw SafeTensorsError.headerNotUTF8 }
            if let duplicate = JSONKeys.firstDuplicate(in: header) { throw SafeTensorsError.duplicateKey(duplicate) }
            let json: Any
            do {
                json = try JSONSerialization.jsonObject(with: Data(header), options: [.fragmentsAllowed])
            } catch {
                let detail = (error as NSError).userInfo[NSDebugDescriptionErrorKey] as? String
                throw SafeTensorsError.headerNotJSON(detail ?? "\(error)")
            }
            guard let object = json as? [String: Any] else { throw SafeTensorsError.headerNotAnObject }

            entries.reserveCapacity(object.count)
            for name in object.keys.sorted(by: SafeTensorsFile.byteOrder) {
                let value = object[name]!
                if name == "__metadata__" {
                    metadata = try SafeTensorsFile.parseMetadata(value)
                    continue
                }
                guard let entry = value as? [String: Any] else {
                    throw SafeTensorsError.entryNotAnObject(tensor: name)
                }
                for field in ["dtype", "shape", "data_offsets"] where entry[field] == nil {
                    throw SafeTensorsError.missingField(tensor: name, field: field)
                }
                guard let dtype = entry["dtype"] as? String else {
                    throw SafeTensorsError.wrongFieldType(tensor: name, field: "dtype", expected: "a string")
                }
                guard dtype == "F32" else { throw SafeTensorsError.unsupportedDType(tensor: name, dtype: dtype) }

                let rawShape = entry["shape"] as? [Any]
                let shape = rawShape?.compactMap(SafeTensorsFile.integer) ?? []
                guard let rawShape, shape.count == rawShape.count else {
                    throw SafeTensorsError.wrongFieldType(tensor: name, field: "shape", expected: "an array of integers")
                }
                guard shape.allSatisfy({ $0 >= 0 }) else {
                    throw SafeTensorsError.negativeDimension(tensor: name, shape: shape)
                }
                var elementCount = 1
                var overflow = false
                for d in shape + [MemoryLayout<Float>.size] where !overflow {
                    (elementCount, overflow) = elementCount.multipliedReportingOverflow(by: d)
                }
                guard !overflow else { throw SafeTensorsError.shapeTooLarge(tensor: name, shape: shape) }
                let expectedBytes = elementCount  // product(shape) * 4

                guard let rawOffsets = entry["data_offsets"] as? [Any], rawOffsets.count == 2,
                    let begin = SafeTensorsFile.integer(rawOffsets[0]), let end = SafeTensorsFile.integer(rawOffsets[1]),
                    begin >= 0, end >= 0
                else {
                    throw SafeTensorsError.wrongFieldType(
                        tensor: name, field: "data_offsets", expected: "an array [begin, end] of two non-negative integers")
                }
                guard begin <= end else { throw SafeTensorsError.invalidDataOffsets(tensor: name, begin: begin, end: end) }
                guard end <= dataSize else {
                    throw SafeTensorsError.dataOutOfBounds(tensor: name, end: end, dataSize: dataSize)
                }
                guard end - begin == expectedBytes else {
                    throw SafeTensorsError.byteCountMismatch(
                        tensor: name, shape: shape, expected: expectedBytes, actual: end - begin)
                }
                entries.append((name, shape, begin..<end))
            }

            // Overlaps: sort the non-empty ranges by start; each must begin at or after the
            // furthest end seen so far.
            let byStart = entries.filter { !$0.range.isEmpty }.sorted {
                ($0.range.lowerBound, $0.range.upperBound) < ($1.range.lowerBound, $1.range.upperBound)
            }
            var furthest: (name: String, end: Int)? = nil
            for e in byStart {
                if let f = furthest, e.range.lowerBound < f.end {
                    let pair = [f.name, e.name].sorted(by: SafeTensorsFile.byteOrder)
                    throw SafeTensorsError.overlappingTensors(pair[0], pair[1])
                }
                if furthest == nil || e.range.upperBound > furthest!.end { furthest = (e.name, e.range.upperBound) }
            }
        }
    }

    /// Reads and parses the file at `path`: its header first (validated against the
    /// file's size), then each tensor `selecting` chooses straight into its values — after
    /// their bytes together are checked against `byteBudget`, so that reading costs the
    /// chosen tensors' own size in memory whatever the file holds (tensors not chosen and
    /// unused bytes after the last tensor are not read).
    ///
    /// - Parameters:
    ///   - path: the file; a symbolic link is followed.
    ///   - byteBudget: the most bytes of tensor data to read (by default the machine's
    ///     physical memory, `defaultByteBudget`). A file that holds more of the chosen
    ///     tensors is refused with `exceedsByteBudget` before any tensor is allocated — a
    ///     sparse file's giant tensor costs nothing.
    ///   - selecting: which tensors to read, by name and shape (nil: all); the others are
    ///     left out of the result.
    /// Throws `fileNotFound`, `isDirectory` or `readFailed` (each naming the path) when
    /// the file cannot be read — also for a FIFO, a device or a socket, which are refused
    /// without blocking — else what `init(bytes:)` would throw for its bytes.
    ///
    /// - Complexity: O(*n* + *t* log *t*) for *n* bytes of the chosen tensors and *t* tensors.
    public static func read(
        path: String, byteBudget: Int = defaultByteBudget,
        selecting: ((_ name: String, _ shape: [Int]) -> Bool)? = nil
    ) throws -> SafeTensorsFile {
        let file = try openForReading(path)
        defer { file.close() }
        let (header, dataStart) = try readHeader(file, path: path)
        let chosen = header.entries.filter { selecting?($0.name, $0.shape) ?? true }
        let bytes = chosen.reduce(0) { $0 + $1.range.count }  // within the file's size: no overflow
        if bytes > byteBudget {
            let largest = chosen.max { $0.range.count < $1.range.count }!
            throw SafeTensorsError.exceedsByteBudget(
                bytes: bytes, budget: byteBudget, largest: largest.name,
                largestShape: largest.shape)
        }
        var tensors: [String: Tensor] = [:]
        tensors.reserveCapacity(chosen.count)
        for e in chosen {
            var raw = [UInt8](repeating: 0, count: e.range.count)
            try readFully(file, into: &raw, at: dataStart + e.range.lowerBound, path: path)
            tensors[e.name] = raw.withUnsafeBytes { Tensor(shape: e.shape, littleEndianBytes: $0) }
        }
        return SafeTensorsFile(tensors: tensors, metadata: header.metadata)
    }

    /// The most bytes of tensors `read(path:)` reads unless told otherwise: the machine's
    /// physical memory (more could not be held; a caller that knows its own limits — a
    /// cgroup's, `ulimit -v` — passes a smaller budget).
    public static var defaultByteBudget: Int { Int(clamping: ProcessInfo.processInfo.physicalMemory) }

    /// The header of the file at `path` alone — its metadata and each tensor's shape —
    /// validated as `read(path:)` validates it; no tensor is read.
    /// - Complexity: O(*h* + *t* log *t*) for a header of *h* bytes and *t* tensors.
    public static func readHeader(path: String) throws -> (metadata: [String: String], shapes: [String: [Int]]) {
        let file = try openForReading(path)
        defer { file.close() }
        let (header, _) = try readHeader(file, path: path)
        return (header.metadata, Dictionary(uniqueKeysWithValues: header.entries.map { ($0.name, $0.shape) }))
    }

    /// The file at `path` opened for reading, or the error that names why not.
    private static func openForReading(_ path: String) throws -> RegularFile {
        do { return try RegularFile(path: path) } catch {
            switch error {
            case .notFound: throw SafeTensorsError.fileNotFound(path: path)
            case .isDirectory: throw SafeTensorsError.isDirectory(path: path)
            default: throw SafeTensorsError.readFailed(path: path, reason: error.description)
            }
        }
    }

    /// `file`'s validated header and the offset of its data buffer.
    private static func readHeader(_ file: RegularFile, path: String) throws -> (Header, Int) {
        guard file.size >= 8 else { throw SafeTensorsError.fileTooShort(byteCount: file.size) }
        var lengthBytes = [UInt8](repeating: 0, count: 8)
        try readFully(file, into: &lengthBytes, at: 0, path: path)
        var headerLength: UInt64 = 0
        for i in 0..<8 { headerLength |= UInt64(lengthBytes[i]) << (8 * UInt64(i)) }
        try checkHeaderLength(headerLength, fileSize: file.size)
        var headerBytes = [UInt8](repeating: 0, count: Int(headerLength))
        try readFully(file, into: &headerBytes, at: 8, path: path)
        let dataStart = 8 + Int(headerLength)
        return (try Header(headerBytes, dataSize: file.size - dataStart), dataStart)
    }

    private static func readFully(_ file: RegularFile, into bytes: inout [UInt8], at offset: Int, path: String) throws {
        do { try file.read(into: &bytes, at: offset) } catch {
            throw SafeTensorsError.readFailed(path: path, reason: error.description)
        }
    }

    // MARK: - Writing

    /// The bytes of the safetensors file: tensors sorted by name (UTF-8 byte order) and
    /// stored back to back as little-endian `F32`, header JSON padded with spaces so the
    /// data buffer starts at an 8-byte-aligned offset, `__metadata__` (first in the
    /// header, keys sorted) only when `metadata` is not empty. Deterministic: equal
    /// values give equal bytes.
    ///
    /// - Precondition: no tensor is named `__metadata__`; every tensor has non-negative
    ///   dimensions and `values.count == product(shape)`.
    /// - Complexity: O(*n* + *t* log *t*) for *n* output bytes and *t* tensors.
    public func serialized() -> [UInt8] {
        let names = tensors.keys.sorted(by: Self.byteOrder)
        var header = "{"
        var separator = ""
        if !metadata.isEmpty {
            header += "\"__metadata__\":{"
            header += metadata.keys.sorted(by: Self.byteOrder)
                .map { "\(JSONString.quoted($0)):\(JSONString.quoted(metadata[$0]!))" }
                .joined(separator: ",")
            header += "}"
            separator = ","
        }
        var offset = 0
        for name in names {
            precondition(name != "__metadata__", "'__metadata__' is reserved and cannot name a tensor")
            let t = tensors[name]!
            precondition(t.shape.allSatisfy { $0 >= 0 }, "tensor '\(name)': negative dimension in shape \(t.shape)")
            precondition(
                t.shape.reduce(1, *) == t.values.count,
                "tensor '\(name)': shape \(t.shape) needs \(t.shape.reduce(1, *)) values, has \(t.values.count)")
            let end = offset + t.values.count * MemoryLayout<Float>.size
            let shape = t.shape.map(String.init).joined(separator: ",")
            header += "\(separator)\(JSONString.quoted(name)):{\"dtype\":\"F32\",\"shape\":[\(shape)],\"data_offsets\":[\(offset),\(end)]}"
            separator = ","
            offset = end
        }
        header += "}"
        var headerBytes = Array(header.utf8)
        headerBytes += [UInt8](repeating: 0x20, count: (8 - headerBytes.count % 8) % 8)

        let total = 8 + headerBytes.count + offset
        return [UInt8](unsafeUninitializedCapacity: total) { out, initialized in
            let raw = UnsafeMutableRawBufferPointer(out)
            raw.storeBytes(of: UInt64(headerBytes.count).littleEndian, toByteOffset: 0, as: UInt64.self)
            headerBytes.withUnsafeBytes { raw.baseAddress!.advanced(by: 8).copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
            var position = 8 + headerBytes.count
            for name in names {
                tensors[name]!.values.withUnsafeBytes { source in
                    guard source.count > 0 else { return }
                    let target = UnsafeMutableRawBufferPointer(rebasing: raw[position..<position + source.count])
                    target.copyMemory(from: source)
                    #if _endian(big)
                        for i in stride(from: 0, to: target.count, by: 4) {
                            let v = target.load(fromByteOffset: i, as: UInt32.self)
                            target.storeBytes(of: v.littleEndian, toByteOffset: i, as: UInt32.self)
                        }
                    #endif
                    position += source.count
                }
            }
            initialized = total
        }
    }

    /// Writes `serialized()` to `path` atomically: the bytes go to the temporary file
    /// `.<name>.partial` in the same directory (one name per destination, so a killed
    /// run's leftover is reused; locked while written, so a second writer of the same file
    /// fails instead of mixing bytes), which is fsync'ed and then renamed over `path`
    /// (rename(2)), so an existing file at `path` is either left untouched or replaced by
    /// the complete new file. Through a symbolic link, the file it points to is replaced
    /// and the link kept; an existing directory, FIFO, device or socket is never replaced.
    /// On failure the temporary file is removed and `writeFailed` is thrown.
    ///
    /// - Complexity: O(*n*) for *n* output bytes.
    public func write(path: String) throws {
        do {
            try AtomicFile.write(serialized(), to: path)
        } catch {
            throw SafeTensorsError.writeFailed(path: path, reason: error.reason)
        }
    }

    // MARK: - Helpers

    /// UTF-8 byte order (= code point order, like Python's `sorted`), independent of locale
    /// and of Unicode normalization.
    private static func byteOrder(_ a: String, _ b: String) -> Bool {
        a.utf8.lexicographicallyPrecedes(b.utf8)
    }

    /// The value of a JSON integer; nil for booleans, non-integral numbers and
    /// integers that do not fit in `Int`.
    private static func integer(_ value: Any) -> Int? {
        guard let number = value as? NSNumber else { return nil }
        // JSONSerialization gives booleans objCType "c" and non-integral numbers "d"/"f".
        let type = String(cString: number.objCType)
        guard type != "c", type != "d", type != "f" else { return nil }
        return value as? Int
    }

    private static func parseMetadata(_ value: Any) throws -> [String: String] {
        if value is NSNull { return [:] }
        guard let object = value as? [String: Any] else { throw SafeTensorsError.metadataNotAnObject }
        var metadata: [String: String] = [:]
        for key in object.keys.sorted(by: byteOrder) {  // deterministic error when several are bad
            guard let s = object[key] as? String else { throw SafeTensorsError.metadataValueNotString(key: key) }
            metadata[key] = s
        }
        return metadata
    }
}

/// Errors reading or writing a safetensors file.
public enum SafeTensorsError: Error, Equatable, CustomStringConvertible {
    /// Fewer than the 8 bytes of the header length.
    case fileTooShort(byteCount: Int)
    /// The header length field exceeds `SafeTensorsFile.maximumHeaderLength` (100 MB).
    case headerTooLarge(headerLength: UInt64)
    /// The header length field points past the end of the file.
    case headerExceedsFile(headerLength: UInt64, fileSize: Int)
    /// The header bytes are not valid UTF-8.
    case headerNotUTF8
    /// The header is not valid JSON (with the parser's message).
    case headerNotJSON(String)
    /// The header is JSON but not an object.
    case headerNotAnObject
    /// A tensor's header entry is not a JSON object.
    case entryNotAnObject(tensor: String)
    /// A tensor entry lacks `dtype`, `shape` or `data_offsets`.
    case missingField(tensor: String, field: String)
    /// A tensor entry field has the wrong JSON type.
    case wrongFieldType(tensor: String, field: String, expected: String)
    /// A dtype other than `F32`.
    case unsupportedDType(tensor: String, dtype: String)
    /// A shape with a negative dimension.
    case negativeDimension(tensor: String, shape: [Int])
    /// A shape whose byte size overflows `Int`.
    case shapeTooLarge(tensor: String, shape: [Int])
    /// `data_offsets` with begin > end.
    case invalidDataOffsets(tensor: String, begin: Int, end: Int)
    /// `data_offsets` end past the end of the data buffer.
    case dataOutOfBounds(tensor: String, end: Int, dataSize: Int)
    /// `end - begin` differs from `product(shape) * 4`.
    case byteCountMismatch(tensor: String, shape: [Int], expected: Int, actual: Int)
    /// Two tensors share bytes of the data buffer (names in byte order).
    case overlappingTensors(String, String)
    /// The header names the same key twice in one object (the format gives no meaning to that).
    case duplicateKey(String)
    /// `__metadata__` is not a JSON object.
    case metadataNotAnObject
    /// A `__metadata__` value is not a string.
    case metadataValueNotString(key: String)
    /// No file at the path.
    case fileNotFound(path: String)
    /// The path is a directory.
    case isDirectory(path: String)
    /// The file exists but could not be read.
    case readFailed(path: String, reason: String)
    /// The file could not be written (an existing file at the path is left untouched).
    case writeFailed(path: String, reason: String)
    /// The tensors to read hold `bytes` bytes, more than the reader's `budget`; `largest`
    /// is the biggest of them.
    case exceedsByteBudget(bytes: Int, budget: Int, largest: String, largestShape: [Int])

    public var description: String {
        let damaged = "the file may be truncated or corrupt"
        switch self {
        case .fileTooShort(let n):
            return
                "safetensors file is only \(n) bytes, shorter than its 8-byte header length field; \(damaged), or it is not a safetensors file"
        case .headerTooLarge(let n):
            return
                "safetensors header length \(n) exceeds the \(SafeTensorsFile.maximumHeaderLength)-byte limit; this is probably not a safetensors file"
        case .headerExceedsFile(let n, let size):
            return
                "safetensors header length \(n) exceeds the \(size - 8) bytes after the length field; the file may be truncated or not a safetensors file"
        case .headerNotUTF8:
            return "safetensors header is not valid UTF-8; \(damaged), or it is not a safetensors file"
        case .headerNotJSON(let detail):
            return "safetensors header is not valid JSON (\(detail)); \(damaged), or it is not a safetensors file"
        case .headerNotAnObject:
            return "safetensors header is not a JSON object mapping tensor names to entries"
        case .entryNotAnObject(let t):
            return "safetensors header entry for tensor '\(t)' is not a JSON object with dtype, shape and data_offsets"
        case .missingField(let t, let field):
            return "safetensors header entry for tensor '\(t)' has no '\(field)' field"
        case .wrongFieldType(let t, let field, let expected):
            return "safetensors header entry for tensor '\(t)': '\(field)' must be \(expected)"
        case .unsupportedDType(let t, let dtype):
            return "tensor '\(t)' has dtype \(dtype); only F32 is supported"
        case .negativeDimension(let t, let shape):
            return "tensor '\(t)' has a negative dimension in shape \(shape)"
        case .shapeTooLarge(let t, let shape):
            return "tensor '\(t)' shape \(shape) is too large: its byte size overflows"
        case .invalidDataOffsets(let t, let b, let e):
            return "tensor '\(t)' has data_offsets [\(b), \(e)] with begin > end"
        case .dataOutOfBounds(let t, let e, let size):
            return "tensor '\(t)' data ends at byte \(e) but the data buffer has only \(size) bytes; the file may be truncated"
        case .byteCountMismatch(let t, let shape, let expected, let actual):
            return "tensor '\(t)' has \(actual) bytes of data but shape \(shape) of F32 needs \(expected)"
        case .overlappingTensors(let a, let b):
            return "tensors '\(a)' and '\(b)' overlap in the data buffer; \(damaged)"
        case .duplicateKey(let key):
            return "the header names '\(key)' twice in one object; \(damaged)"
        case .metadataNotAnObject:
            return "safetensors __metadata__ is not a JSON object of strings"
        case .metadataValueNotString(let key):
            return "safetensors __metadata__ value for key '\(key)' is not a string"
        case .fileNotFound(let path):
            return "no such file: '\(path)'"
        case .isDirectory(let path):
            return "'\(path)' is a directory, not a safetensors file"
        case .readFailed(let path, let reason):
            return "cannot read '\(path)': \(reason)"
        case .writeFailed(let path, let reason):
            return "cannot write '\(path)': \(reason)"
        case .exceedsByteBudget(let bytes, let budget, let largest, let shape):
            return
                "its tensors need \(bytes) bytes of memory, more than the \(budget) bytes this reader may use (the largest is '\(largest)', shape \(shape))"
        }
    }
}
