import RNN

/// A text's tokens in the narrowest integer type its vocabulary allows — one byte each up
/// to 256 characters, two up to 65,536, else four — shared without copying by the slices
/// that training and validation read (`slice(_:)`).
///
/// ```swift
/// let tokens = TokenSequence(.uint8(bytes))             // e.g. a text's character ids
/// let train = tokens.slice(0..<(tokens.count * 9 / 10))  // shares the storage
/// ```
public struct TokenSequence: Sendable {
    /// The shared tokens.
    public final class Storage: Sendable {
        public enum Buffer: Sendable {
            case uint8([UInt8])
            case uint16([UInt16])
            case int32([Int32])
        }
        public let buffer: Buffer
        public init(_ buffer: Buffer) { self.buffer = buffer }
    }

    public let storage: Storage
    /// The tokens of `storage` this sequence is.
    public let range: Range<Int>

    public var count: Int { range.count }

    /// The narrowest element width for `vocabularySize` tokens, in bytes.
    public static func width(vocabularySize: Int) -> Int { vocabularySize <= 256 ? 1 : vocabularySize <= 65_536 ? 2 : 4 }

    public init(_ buffer: Storage.Buffer) {
        storage = Storage(buffer)
        switch buffer {
        case .uint8(let a): range = 0..<a.count
        case .uint16(let a): range = 0..<a.count
        case .int32(let a): range = 0..<a.count
        }
    }

    private init(storage: Storage, range: Range<Int>) {
        self.storage = storage
        self.range = range
    }

    /// Tokens `r` of this sequence (relative to its start), sharing the storage.
    public func slice(_ r: Range<Int>) -> TokenSequence {
        precondition(r.lowerBound >= 0 && r.upperBound <= count, "slice \(r) outside 0..<\(count)")
        return TokenSequence(storage: storage, range: (range.lowerBound + r.lowerBound)..<(range.lowerBound + r.upperBound))
    }

    /// Calls `body` with an accessor of token `i` (relative to the start) as `Int32`.
    /// - Complexity: O(1) besides `body`; the storage is not copied.
    public func withTokens<R>(_ body: (_ token: (Int) -> Int32) throws -> R) rethrows -> R {
        let start = range.lowerBound
        switch storage.buffer {
        case .uint8(let a): return try a.withUnsafeBufferPointer { p in try body { Int32(p[start + $0]) } }
        case .uint16(let a): return try a.withUnsafeBufferPointer { p in try body { Int32(p[start + $0]) } }
        case .int32(let a): return try a.withUnsafeBufferPointer { p in try body { p[start + $0] } }
        }
    }
}

extension TokenSequence {
    /// Tokens given as `Int32` values (stored as such).
    public init(_ tokens: [Int32]) { self.init(.int32(tokens)) }
}

/// The tokens as `Int32` values, token `0` first: `Array(tokens.prefix(4))` copies four.
/// (Training reads them through `withTokens`, which switches on the storage's width once
/// rather than at every token.)
extension TokenSequence: RandomAccessCollection {
    public var startIndex: Int { 0 }
    public var endIndex: Int { count }

    public subscript(position: Int) -> Int32 {
        precondition(position >= 0 && position < count, "token \(position) outside 0..<\(count)")
        switch storage.buffer {
        case .uint8(let a): return Int32(a[range.lowerBound + position])
        case .uint16(let a): return Int32(a[range.lowerBound + position])
        case .int32(let a): return a[range.lowerBound + position]
        }
    }
}
