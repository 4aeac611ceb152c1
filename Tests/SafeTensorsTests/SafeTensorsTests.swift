import Foundation
import SafeTensors
import Testing

/// The bytes of a safetensors file with this literal header (no padding added) and data.
private func rawFile(header: String, data: [UInt8] = []) -> [UInt8] {
    rawFile(headerBytes: Array(header.utf8), data: data)
}

private func rawFile(headerBytes: [UInt8], data: [UInt8] = []) -> [UInt8] {
    lengthField(UInt64(headerBytes.count)) + headerBytes + data
}

/// The header length field of a file.
private func headerLength(_ bytes: [UInt8]) -> Int {
    Int(bytes[0..<8].enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) })
}

private func lengthField(_ n: UInt64) -> [UInt8] { (0..<8).map { UInt8(truncatingIfNeeded: n >> (8 * UInt64($0))) } }

/// Little-endian bytes of `values`.
private func f32Bytes(_ values: [Float]) -> [UInt8] {
    values.flatMap { v in (0..<4).map { UInt8(truncatingIfNeeded: v.bitPattern >> (8 * UInt32($0))) } }
}

/// A fresh directory under the system temporary directory, removed after `body`.
private func withTemporaryDirectory<T>(_ body: (String) throws -> T) throws -> T {
    let url = FileManager.default.temporaryDirectory
        .appendingPathComponent("SafeTensorsTests-\(UUID().uuidString)", isDirectory: true)
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: false)
    defer { try? FileManager.default.removeItem(at: url) }
    return try body(url.path)
}

private func contents(_ directory: String) throws -> [String] {
    try FileManager.default.contentsOfDirectory(atPath: directory).sorted()
}

private func fileBytes(_ path: String) throws -> [UInt8] {
    [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
}

private let sample = SafeTensorsFile(
    tensors: [
        "rnn.weight_ih_l0": .init(shape: [2, 3], values: [1, -2, 3.5, 0, 1e-7, -1e30]),
        "fc.bias": .init(shape: [3], values: [0.25, -0.5, 42]),
        "scalar": .init(shape: [], values: [3.25]),
        "empty": .init(shape: [0], values: []),
        "empty.3d": .init(shape: [3, 0, 2], values: []),
        "naïve \"quoted\" ✓": .init(shape: [1, 1], values: [7]),
    ],
    metadata: [
        "vocabulary": " !\"\\abcé世界🙂\n\t\u{01}",
        "hidden_size": "12",
        "ключ": "значение",
        "empty": "",
    ])

struct SafeTensorsRoundTripTests {
    @Test func roundTripThroughBytes() throws {
        let bytes = sample.serialized()
        let parsed = try SafeTensorsFile(bytes: bytes)
        #expect(parsed == sample)
        #expect(parsed.tensors["scalar"]?.shape == [])
        #expect(parsed.tensors["empty.3d"]?.values == [])
        #expect(parsed.metadata["vocabulary"] == " !\"\\abcé世界🙂\n\t\u{01}")
        #expect(parsed.serialized() == bytes, "serialization is deterministic")
    }

    @Test func roundTripThroughFile() throws {
        try withTemporaryDirectory { dir in
            let path = dir + "/model.safetensors"
            try sample.write(path: path)
            #expect(try SafeTensorsFile.read(path: path) == sample)
            #expect(try fileBytes(path) == sample.serialized())
            #expect(try contents(dir) == ["model.safetensors"], "no temporary file left behind")
        }
    }

    @Test func emptyFileRoundTrips() throws {
        let bytes = SafeTensorsFile().serialized()
        #expect(bytes == lengthField(8) + Array("{}      ".utf8))
        #expect(try SafeTensorsFile(bytes: bytes) == SafeTensorsFile())
    }

    @Test func bitPatternsArePreserved() throws {
        let values: [Float] = [
            .nan, Float(bitPattern: 0x7FC0_1234), -0.0, .infinity, -.infinity,
            .leastNonzeroMagnitude, .greatestFiniteMagnitude, .ulpOfOne,
        ]
        let file = SafeTensorsFile(tensors: ["x": .init(shape: [values.count], values: values)])
        let back = try SafeTensorsFile(bytes: file.serialized())
        #expect(back.tensors["x"]!.values.map(\.bitPattern) == values.map(\.bitPattern))
    }
}

struct SafeTensorsFormatTests {
    @Test func writtenBytesAreExactlyAsSpecified() throws {
        let file = SafeTensorsFile(
            tensors: ["b": .init(shape: [2], values: [1.0, -2.0]), "a": .init(shape: [], values: [0.5])],
            metadata: ["k": "v"])
        let bytes = file.serialized()
        let n = headerLength(bytes)
        let expectedJSON =
            #"{"__metadata__":{"k":"v"},"a":{"dtype":"F32","shape":[],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}"#
        #expect((8 + n) % 8 == 0, "data buffer starts 8-byte aligned")
        #expect(n >= expectedJSON.utf8.count && n < expectedJSON.utf8.count + 8)
        #expect(bytes.count == 8 + n + 12)
        let header = Array(bytes[8..<8 + n])
        #expect(String(decoding: header, as: UTF8.self) == expectedJSON + String(repeating: " ", count: n - expectedJSON.utf8.count))

        let json = try #require(try JSONSerialization.jsonObject(with: Data(header)) as? [String: Any])
        #expect(Set(json.keys) == ["__metadata__", "a", "b"])
        #expect(json["__metadata__"] as? [String: String] == ["k": "v"])
        let b = try #require(json["b"] as? [String: Any])
        #expect(Set(b.keys) == ["dtype", "shape", "data_offsets"])

        // 0.5 = 0x3F000000, 1.0 = 0x3F800000, -2.0 = 0xC0000000, little-endian, "a" first.
        #expect(
            Array(bytes[(8 + n)...]) == [
                0x00, 0x00, 0x00, 0x3F,
                0x00, 0x00, 0x80, 0x3F,
                0x00, 0x00, 0x00, 0xC0,
            ])
    }

    /// Bytes written by the reference implementation (Python `safetensors` 0.8.0):
    /// `save({"b": [1, -2], "a": 0.5, "e": zeros((0, 2))}, metadata={"k": "v ✓"})`.
    @Test func matchesTheReferenceWriterByteForByte() throws {
        let reference = try #require(
            Data(
                base64Encoded: """
                    yAAAAAAAAAB7Il9fbWV0YWRhdGFfXyI6eyJrIjoidiDinJMifSwiYSI6eyJkdHlwZSI6IkYzMiIsInNoYXBlIjpbXSwiZGF0YV9v\
                    ZmZzZXRzIjpbMCw0XX0sImIiOnsiZHR5cGUiOiJGMzIiLCJzaGFwZSI6WzJdLCJkYXRhX29mZnNldHMiOls0LDEyXX0sImUiOnsi\
                    ZHR5cGUiOiJGMzIiLCJzaGFwZSI6WzAsMl0sImRhdGFfb2Zmc2V0cyI6WzEyLDEyXX19ICAgICAgIAAAAD8AAIA/AAAAwA==
                    """))
        let file = SafeTensorsFile(
            tensors: [
                "b": .init(shape: [2], values: [1, -2]), "a": .init(shape: [], values: [0.5]),
                "e": .init(shape: [0, 2], values: []),
            ],
            metadata: ["k": "v ✓"])
        #expect(file.serialized() == [UInt8](reference))
        #expect(try SafeTensorsFile(bytes: [UInt8](reference)) == file)
    }

    @Test func noMetadataKeyWhenMetadataIsEmpty() throws {
        let bytes = SafeTensorsFile(tensors: ["w": .init(shape: [1], values: [1])]).serialized()
        let n = headerLength(bytes)
        let header = String(decoding: bytes[8..<8 + n], as: UTF8.self)
        #expect(!header.contains("__metadata__"))
        #expect(header.hasPrefix(#"{"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}"#))
    }

    @Test func readsAForeignLayout() throws {
        // Tensors in reverse name order in the data buffer, keys of each entry in another
        // order, an extra field, whitespace inside the JSON and extra padding, no __metadata__.
        let header = """
            { "w" : {"shape": [2, 2], "data_offsets": [0, 16], "dtype": "F32"},
              "s": {"data_offsets": [16, 20], "shape": [], "dtype": "F32", "extra": {"x": 1}},
              "e": {"dtype": "F32", "data_offsets": [20, 20], "shape": [4, 0]},
              "b": {"data_offsets": [20, 28], "dtype": "F32", "shape": [2]} }\(String(repeating: " ", count: 13))
            """
        let data = f32Bytes([1, 2, 3, 4]) + f32Bytes([-1]) + f32Bytes([0.5, 0.25])
        let file = try SafeTensorsFile(bytes: rawFile(header: header, data: data))
        #expect(
            file
                == SafeTensorsFile(tensors: [
                    "w": .init(shape: [2, 2], values: [1, 2, 3, 4]),
                    "s": .init(shape: [], values: [-1]),
                    "e": .init(shape: [4, 0], values: []),
                    "b": .init(shape: [2], values: [0.5, 0.25]),
                ]))
        #expect(file.metadata.isEmpty)
    }

    @Test(arguments: [#""__metadata__": {}, "#, #""__metadata__": null, "#, ""])
    func acceptsEmptyOrAbsentMetadata(entry: String) throws {
        let file = try SafeTensorsFile(
            bytes: rawFile(
                header: #"{\#(entry)"x": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}}"#,
                data: f32Bytes([9])))
        #expect(file == SafeTensorsFile(tensors: ["x": .init(shape: [1], values: [9])]))
    }

    @Test func acceptsUnusedBytesAndGapsInTheDataBuffer() throws {
        let file = try SafeTensorsFile(
            bytes: rawFile(
                header: #"{"x": {"dtype": "F32", "shape": [1], "data_offsets": [4, 8]}}"#,
                data: f32Bytes([7, 9, 11])))
        #expect(file.tensors["x"]?.values == [9])
    }
}

/// One hand-built corrupt file and the error it must produce.
struct SafeTensorsCorruptCase: Sendable, CustomTestStringConvertible {
    let label: String
    let bytes: [UInt8]
    let error: SafeTensorsError
    /// Words the description must contain.
    let mentions: [String]
    var testDescription: String { label }
}

/// A one-tensor header around `entry`, with `data` bytes of data.
private func oneTensor(_ entry: String, data: Int = 8) -> [UInt8] {
    rawFile(header: #"{"t": \#(entry)}"#, data: [UInt8](repeating: 0, count: data))
}

private let corruptCases: [SafeTensorsCorruptCase] = [
    .init(label: "empty file", bytes: [], error: .fileTooShort(byteCount: 0), mentions: ["0 bytes", "truncated"]),
    .init(
        label: "5-byte file", bytes: [1, 2, 3, 4, 5], error: .fileTooShort(byteCount: 5), mentions: ["5 bytes", "not a safetensors file"]),
    .init(
        label: "header length 200 MB", bytes: lengthField(200_000_000) + Array("{}".utf8),
        error: .headerTooLarge(headerLength: 200_000_000), mentions: ["200000000", "limit"]),
    .init(
        label: "header length UInt64.max", bytes: lengthField(.max) + Array("{}".utf8),
        error: .headerTooLarge(headerLength: .max), mentions: ["not a safetensors file"]),
    .init(
        label: "header longer than the file", bytes: lengthField(100) + Array(#"{"a": 1}"#.utf8),
        error: .headerExceedsFile(headerLength: 100, fileSize: 16), mentions: ["100", "8 bytes", "truncated"]),
    .init(
        label: "header not UTF-8", bytes: rawFile(headerBytes: [0x7B, 0xFF, 0xFE, 0x7D]),
        error: .headerNotUTF8, mentions: ["UTF-8"]),
    .init(label: "header a JSON array", bytes: rawFile(header: "[1, 2]"), error: .headerNotAnObject, mentions: ["JSON object"]),
    .init(label: "header a JSON string", bytes: rawFile(header: #""F32""#), error: .headerNotAnObject, mentions: ["JSON object"]),
    .init(
        label: "entry not an object", bytes: rawFile(header: #"{"w": [1, 2]}"#),
        error: .entryNotAnObject(tensor: "w"), mentions: ["'w'"]),
    .init(
        label: "missing dtype", bytes: oneTensor(#"{"shape": [2], "data_offsets": [0, 8]}"#),
        error: .missingField(tensor: "t", field: "dtype"), mentions: ["'t'", "dtype"]),
    .init(
        label: "missing shape", bytes: oneTensor(#"{"dtype": "F32", "data_offsets": [0, 8]}"#),
        error: .missingField(tensor: "t", field: "shape"), mentions: ["'t'", "shape"]),
    .init(
        label: "missing data_offsets", bytes: oneTensor(#"{"dtype": "F32", "shape": [2]}"#),
        error: .missingField(tensor: "t", field: "data_offsets"), mentions: ["'t'", "data_offsets"]),
    .init(
        label: "dtype a number", bytes: oneTensor(#"{"dtype": 32, "shape": [2], "data_offsets": [0, 8]}"#),
        error: .wrongFieldType(tensor: "t", field: "dtype", expected: "a string"), mentions: ["dtype", "string"]),
    .init(
        label: "shape a string", bytes: oneTensor(#"{"dtype": "F32", "shape": "2", "data_offsets": [0, 8]}"#),
        error: .wrongFieldType(tensor: "t", field: "shape", expected: "an array of integers"), mentions: ["shape"]),
    .init(
        label: "shape with a fraction", bytes: oneTensor(#"{"dtype": "F32", "shape": [2.5], "data_offsets": [0, 8]}"#),
        error: .wrongFieldType(tensor: "t", field: "shape", expected: "an array of integers"), mentions: ["shape"]),
    .init(
        label: "shape with a boolean", bytes: oneTensor(#"{"dtype": "F32", "shape": [true], "data_offsets": [0, 4]}"#),
        error: .wrongFieldType(tensor: "t", field: "shape", expected: "an array of integers"), mentions: ["shape"]),
    .init(
        label: "negative dimension", bytes: oneTensor(#"{"dtype": "F32", "shape": [-1, 2], "data_offsets": [0, 8]}"#),
        error: .negativeDimension(tensor: "t", shape: [-1, 2]), mentions: ["negative", "[-1, 2]"]),
    .init(
        label: "shape overflowing", bytes: oneTensor(#"{"dtype": "F32", "shape": [9223372036854775807, 2], "data_offsets": [0, 8]}"#),
        error: .shapeTooLarge(tensor: "t", shape: [Int.max, 2]), mentions: ["too large"]),
    .init(
        label: "data_offsets one number", bytes: oneTensor(#"{"dtype": "F32", "shape": [2], "data_offsets": [8]}"#),
        error: .wrongFieldType(tensor: "t", field: "data_offsets", expected: "an array [begin, end] of two non-negative integers"),
        mentions: ["data_offsets", "[begin, end]"]),
    .init(
        label: "data_offsets three numbers", bytes: oneTensor(#"{"dtype": "F32", "shape": [2], "data_offsets": [0, 8, 16]}"#),
        error: .wrongFieldType(tensor: "t", field: "data_offsets", expected: "an array [begin, end] of two non-negative integers"),
        mentions: ["data_offsets"]),
    .init(
        label: "data_offsets negative", bytes: oneTensor(#"{"dtype": "F32", "shape": [2], "data_offsets": [-8, 0]}"#),
        error: .wrongFieldType(tensor: "t", field: "data_offsets", expected: "an array [begin, end] of two non-negative integers"),
        mentions: ["non-negative"]),
    .init(
        label: "data_offsets strings", bytes: oneTensor(#"{"dtype": "F32", "shape": [2], "data_offsets": ["0", "8"]}"#),
        error: .wrongFieldType(tensor: "t", field: "data_offsets", expected: "an array [begin, end] of two non-negative integers"),
        mentions: ["data_offsets"]),
    .init(
        label: "data_offsets begin > end", bytes: oneTensor(#"{"dtype": "F32", "shape": [2], "data_offsets": [8, 0]}"#),
        error: .invalidDataOffsets(tensor: "t", begin: 8, end: 0), mentions: ["[8, 0]", "begin > end"]),
    .init(
        label: "data past the end", bytes: oneTensor(#"{"dtype": "F32", "shape": [4], "data_offsets": [0, 16]}"#),
        error: .dataOutOfBounds(tensor: "t", end: 16, dataSize: 8), mentions: ["16", "8 bytes", "truncated"]),
    .init(
        label: "byte length != product(shape) * 4", bytes: oneTensor(#"{"dtype": "F32", "shape": [3], "data_offsets": [0, 8]}"#),
        error: .byteCountMismatch(tensor: "t", shape: [3], expected: 12, actual: 8), mentions: ["8 bytes", "needs 12"]),
    .init(
        label: "scalar with no bytes", bytes: oneTensor(#"{"dtype": "F32", "shape": [], "data_offsets": [0, 0]}"#),
        error: .byteCountMismatch(tensor: "t", shape: [], expected: 4, actual: 0), mentions: ["needs 4"]),
    .init(
        label: "overlapping tensors",
        bytes: rawFile(
            header:
                #"{"b": {"dtype": "F32", "shape": [2], "data_offsets": [4, 12]}, "a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}}"#,
            data: [UInt8](repeating: 0, count: 12)),
        error: .overlappingTensors("a", "b"), mentions: ["'a'", "'b'", "overlap"]),
    .init(
        label: "same bytes twice",
        bytes: rawFile(
            header:
                #"{"b": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}, "a": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}}"#,
            data: [UInt8](repeating: 0, count: 4)),
        error: .overlappingTensors("a", "b"), mentions: ["overlap"]),
    .init(
        label: "metadata not an object", bytes: rawFile(header: #"{"__metadata__": ["a"]}"#),
        error: .metadataNotAnObject, mentions: ["__metadata__"]),
    .init(
        label: "metadata value a number", bytes: rawFile(header: #"{"__metadata__": {"ok": "x", "epochs": 10}}"#),
        error: .metadataValueNotString(key: "epochs"), mentions: ["'epochs'", "not a string"]),
    .init(
        label: "truncated real file", bytes: Array(sample.serialized().dropLast(4)),
        error: .dataOutOfBounds(tensor: "scalar", end: 44, dataSize: 40), mentions: ["truncated"]),
]

struct SafeTensorsCorruptionTests {
    @Test(arguments: corruptCases)
    func corruptFileThrowsItsError(_ c: SafeTensorsCorruptCase) throws {
        #expect(throws: c.error) { try SafeTensorsFile(bytes: c.bytes) }
        let description = c.error.description
        for word in c.mentions {
            #expect(description.contains(word), "\(description)")
        }
    }

    @Test(arguments: ["F16", "BF16", "F64", "I64", "U8", "f32"])
    func onlyF32IsSupported(dtype: String) throws {
        let bytes = oneTensor(#"{"dtype": "\#(dtype)", "shape": [2], "data_offsets": [0, 8]}"#)
        let error = #expect(throws: SafeTensorsError.self) { try SafeTensorsFile(bytes: bytes) }
        #expect(error == .unsupportedDType(tensor: "t", dtype: dtype))
        let description = try #require(error).description
        #expect(description.contains("'t'") && description.contains(dtype) && description.contains("only F32 is supported"))
    }

    /// The same key twice in one object: two entries for a tensor, two values for a
    /// metadata key, an escaped spelling of the same name; the same key in two different
    /// objects is fine.
    @Test func duplicateKeysAreRefused() throws {
        let entry = #"{"dtype":"F32","shape":[1],"data_offsets":[0,4]}"#
        for (header, key) in [
            (#"{"x":\#(entry),"x":\#(entry)}"#, "x"),
            (#"{"__metadata__":{"k":"1","k":"2"},"x":\#(entry)}"#, "k"),
            (#"{"x":\#(entry),"\u0078":\#(entry)}"#, "x"),
            (#"{"x":{"dtype":"F32","dtype":"F32","shape":[1],"data_offsets":[0,4]}}"#, "dtype"),
        ] {
            #expect(throws: SafeTensorsError.duplicateKey(key)) { try SafeTensorsFile(bytes: rawFile(header: header, data: f32Bytes([1]))) }
        }
        let fine = #"{"__metadata__":{"x":"1"},"x":\#(entry)}"#
        #expect(try SafeTensorsFile(bytes: rawFile(header: fine, data: f32Bytes([1]))).tensors["x"]?.values == [1])
    }

    @Test(arguments: [#"{"a": "#, "", "   ", #"{"a": 1} trailing"#, "{'a': 1}"])
    func headerNotJSON(header: String) throws {
        let error = #expect(throws: SafeTensorsError.self) { try SafeTensorsFile(bytes: rawFile(header: header)) }
        guard case .headerNotJSON = try #require(error) else {
            Issue.record("expected headerNotJSON, got \(String(describing: error))")
            return
        }
        #expect(error!.description.contains("not valid JSON"))
    }
}

struct SafeTensorsFileTests {
    @Test func missingFile() throws {
        try withTemporaryDirectory { dir in
            let path = dir + "/nothing.safetensors"
            let error = #expect(throws: SafeTensorsError.self) { try SafeTensorsFile.read(path: path) }
            #expect(error == .fileNotFound(path: path))
            #expect(error?.description.contains(path) == true)
        }
    }

    @Test func directoryInsteadOfFile() throws {
        try withTemporaryDirectory { dir in
            let error = #expect(throws: SafeTensorsError.self) { try SafeTensorsFile.read(path: dir) }
            #expect(error == .isDirectory(path: dir))
            #expect(error?.description.contains(dir) == true)
        }
    }

    @Test func notARegularFile() throws {
        let error = #expect(throws: SafeTensorsError.self) { try SafeTensorsFile.read(path: "/dev/null") }
        guard case .readFailed(let path, _) = try #require(error) else {
            Issue.record("expected readFailed, got \(String(describing: error))")
            return
        }
        #expect(path == "/dev/null" && error!.description.contains("/dev/null"))
    }

    /// A FIFO is refused at once, without waiting for a writer (open would block).
    @Test func fifoIsRefusedWithoutBlocking() throws {
        try withTemporaryDirectory { dir in
            let path = dir + "/pipe.safetensors"
            #expect(mkfifo(path, 0o600) == 0)
            let error = #expect(throws: SafeTensorsError.self) { try SafeTensorsFile.read(path: path) }
            guard case .readFailed(let failed, let reason) = try #require(error) else {
                Issue.record("expected readFailed, got \(String(describing: error))")
                return
            }
            #expect(failed == path && reason.contains("FIFO"), "\(reason)")
        }
    }

    /// Reading a file padded far past its tensors (sparse, 64 GiB: more than the machine's
    /// memory) reads the header and the tensors only: the same tensors as the unpadded file.
    @Test func paddedFileReadsOnlyItsTensors() throws {
        try withTemporaryDirectory { dir in
            var file = SafeTensorsFile(metadata: ["k": "v"])
            file.tensors["a"] = .init(shape: [2, 3], values: [1, 2, 3, 4, 5, 6])
            file.tensors["b"] = .init(shape: [1], values: [-7])
            let path = dir + "/padded.safetensors"
            try file.write(path: path)
            #expect(truncate(path, off_t(1) << 36) == 0)
            #expect(try SafeTensorsFile.read(path: path) == file)
        }
    }

    @Test func corruptFileOnDisk() throws {
        try withTemporaryDirectory { dir in
            let path = dir + "/short.safetensors"
            try Data([1, 2, 3]).write(to: URL(fileURLWithPath: path))
            #expect(throws: SafeTensorsError.fileTooShort(byteCount: 3)) { try SafeTensorsFile.read(path: path) }
        }
    }

    @Test func writeReplacesAnExistingFile() throws {
        try withTemporaryDirectory { dir in
            let path = dir + "/model.safetensors"
            try sample.write(path: path)
            let newer = SafeTensorsFile(tensors: ["x": .init(shape: [1], values: [1])], metadata: ["epoch": "2"])
            try newer.write(path: path)
            #expect(try SafeTensorsFile.read(path: path) == newer)
            #expect(try fileBytes(path) == newer.serialized())
            #expect(try contents(dir) == ["model.safetensors"])
        }
    }

    @Test func failedWriteLeavesTheOldFileAndNoTemporaryFile() throws {
        try withTemporaryDirectory { dir in
            let good = dir + "/model.safetensors"
            try sample.write(path: good)
            let before = try fileBytes(good)
            // The parent of the target is the existing regular file: the write must fail.
            let path = good + "/other.safetensors"
            let error = #expect(throws: SafeTensorsError.self) {
                try SafeTensorsFile(tensors: ["x": .init(shape: [1], values: [1])]).write(path: path)
            }
            guard case .writeFailed(let failedPath, _) = try #require(error) else {
                Issue.record("expected writeFailed, got \(String(describing: error))")
                return
            }
            #expect(failedPath == path && error!.description.contains(path))
            #expect(try fileBytes(good) == before)
            #expect(try SafeTensorsFile.read(path: good) == sample)
            #expect(try contents(dir) == ["model.safetensors"])
        }
    }

    @Test func existingDirectoryIsNotReplaced() throws {
        try withTemporaryDirectory { dir in
            // The target is a non-empty directory: refused before a temporary file is made.
            let target = dir + "/model.safetensors"
            try FileManager.default.createDirectory(atPath: target, withIntermediateDirectories: false)
            try Data([42]).write(to: URL(fileURLWithPath: target + "/keep"))
            let error = #expect(throws: SafeTensorsError.self) { try sample.write(path: target) }
            guard case .writeFailed(let failedPath, let reason) = try #require(error) else {
                Issue.record("expected writeFailed, got \(String(describing: error))")
                return
            }
            #expect(failedPath == target)
            #expect(reason.contains("is not a regular file"), "\(reason)")
            #expect(try contents(dir) == ["model.safetensors"])
            #expect(try contents(target) == ["keep"])
            #expect(try fileBytes(target + "/keep") == [42])
        }
    }

    /// A FIFO at the destination is neither replaced nor opened (which would block).
    @Test func existingFifoIsNotReplaced() throws {
        try withTemporaryDirectory { dir in
            let target = dir + "/pipe.safetensors"
            #expect(mkfifo(target, 0o600) == 0)
            #expect(throws: SafeTensorsError.self) { try sample.write(path: target) }
            var info = stat()
            let status = stat(target, &info)
            let kind = info.st_mode & S_IFMT
            #expect(status == 0 && kind == S_IFIFO)
            let listing = try contents(dir)
            #expect(listing == ["pipe.safetensors"])
        }
    }

    /// Through a symbolic link the file it points to is replaced and the link kept.
    @Test func symlinkIsKeptAndItsTargetReplaced() throws {
        try withTemporaryDirectory { dir in
            try FileManager.default.createDirectory(atPath: dir + "/store", withIntermediateDirectories: false)
            try SafeTensorsFile(tensors: ["old": .init(shape: [1], values: [0])]).write(path: dir + "/store/real.safetensors")
            #expect(symlink("store/real.safetensors", dir + "/link.safetensors") == 0)
            try sample.write(path: dir + "/link.safetensors")
            let link = try FileManager.default.destinationOfSymbolicLink(atPath: dir + "/link.safetensors")
            #expect(link == "store/real.safetensors")
            #expect(try SafeTensorsFile.read(path: dir + "/store/real.safetensors") == sample)
            #expect(try contents(dir + "/store") == ["real.safetensors"], "no temporary file left beside the target")
        }
    }

    /// A killed writer's leftover `.<name>.partial` is reused and gone after the next
    /// write; while another writer holds it (flock), a second write fails cleanly and the
    /// existing file stays.
    @Test func oneTemporaryNamePerDestination() throws {
        try withTemporaryDirectory { dir in
            let target = dir + "/model.safetensors", partial = dir + "/.model.safetensors.partial"
            try Data(repeating: 7, count: 1000).write(to: URL(fileURLWithPath: partial))
            try sample.write(path: target)
            #expect(try contents(dir) == ["model.safetensors"])
            #expect(try SafeTensorsFile.read(path: target) == sample)

            let holder = open(partial, O_WRONLY | O_CREAT, 0o666)
            #expect(holder >= 0 && flock(holder, LOCK_EX) == 0)
            let error = #expect(throws: SafeTensorsError.self) {
                try SafeTensorsFile(tensors: ["x": .init(shape: [1], values: [1])]).write(path: target)
            }
            #expect(error?.description.contains("another process is writing") == true, "\(String(describing: error))")
            close(holder)
            #expect(try SafeTensorsFile.read(path: target) == sample)
        }
    }

    @Test func missingDirectoryFailsCleanly() throws {
        try withTemporaryDirectory { dir in
            let path = dir + "/no/such/dir/model.safetensors"
            let error = #expect(throws: SafeTensorsError.self) { try sample.write(path: path) }
            guard case .writeFailed(let failedPath, _) = try #require(error) else {
                Issue.record("expected writeFailed, got \(String(describing: error))")
                return
            }
            #expect(failedPath == path)
            #expect(try contents(dir) == [])
        }
    }

    @Test func pathWithoutAFileNameFails() throws {
        try withTemporaryDirectory { dir in
            let error = #expect(throws: SafeTensorsError.self) { try sample.write(path: dir + "/") }
            guard case .writeFailed = try #require(error) else {
                Issue.record("expected writeFailed, got \(String(describing: error))")
                return
            }
            #expect(try contents(dir) == [])
        }
    }
}
