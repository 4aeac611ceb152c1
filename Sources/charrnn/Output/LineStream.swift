import RNN
import _ToolSupport

/// Output written as it is generated: bytes are collected and written to stdout at every
/// newline (or every 256 bytes, for output without lines), so a reader sees a sample
/// appear line by line, and a Ctrl-C loses at most the unfinished line (`flush` writes it).
final class LineStream {
    private var pending: [UInt8] = []

    init() { pending.reserveCapacity(512) }

    func write(_ bytes: [UInt8]) {
        pending.append(contentsOf: bytes)
        if bytes.contains(10) || pending.count >= 256 { flush() }
    }

    /// Token `token`'s output as it follows `previous` (`TextVocabulary.appendBytes`), with
    /// no allocation: what a sample streams token by token.
    func append(_ token: Int32, after previous: Int32?, of vocabulary: TextVocabulary) {
        let start = pending.count
        vocabulary.appendBytes(of: token, after: previous, to: &pending)
        if pending[start...].contains(10) || pending.count >= 256 { flush() }
    }

    func flush() {
        guard !pending.isEmpty else { return }
        Console.out(bytes: pending)
        pending.removeAll(keepingCapacity: true)
    }
}
