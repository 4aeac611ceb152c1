import RNN

/// A text file as tokens: the vocabulary (the text's own, or a checkpoint's) and the
/// token of every character (Unicode scalar), plus a fingerprint to recognize the text.
struct Corpus {
    let path: String
    let tokens: [Int32]
    let vocabulary: Vocabulary
    /// FNV-1a 64 of the UTF-8 bytes, in hex.
    let fingerprint: String

    /// Loads `path`. Without `vocabulary` the text's own vocabulary (its distinct
    /// characters, sorted by code point) is used. With one (a checkpoint's), characters
    /// outside it are an error naming them, or dropped with a warning when `skipUnknown`;
    /// `hint` ends that error message.
    static func load(path: String, option: String, vocabulary fixed: Vocabulary? = nil,
                     skipUnknown: Bool = false, hint: String = "") throws -> Corpus {
        // Held at once while loading and training: the bytes, the string, 4-byte tokens
        // (at most one per byte) and the training and validation streams' copies of them.
        let text = try TextFile.read(path, option: option, memoryPerByte: 1 + 1 + 4 + 4 + 1)
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in text.utf8 { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
        let fingerprint = String(hash, radix: 16)
        guard let fixed else {
            let vocabulary = Vocabulary(text: text)
            return Corpus(path: path, tokens: try vocabulary.encode(text), vocabulary: vocabulary, fingerprint: fingerprint)
        }
        var tokens: [Int32] = []
        tokens.reserveCapacity(text.unicodeScalars.count)
        var unknown: [Unicode.Scalar: Int] = [:]
        var order: [Unicode.Scalar] = []
        for c in text.unicodeScalars {
            if let t = fixed.token(for: c) {
                tokens.append(t)
            } else {
                if unknown[c] == nil { order.append(c) }
                unknown[c, default: 0] += 1
            }
        }
        if !order.isEmpty {
            let shown = order.prefix(8).map { CheckpointError.describe($0) }.joined(separator: ", ")
            let more = order.count > 8 ? " and \(order.count - 8) more" : ""
            let total = unknown.values.reduce(0, +)
            let what = "\(option) file '\(path)' has \(Format.plural(order.count, "character")) that the checkpoint's vocabulary of \(fixed.count) lacks: \(shown)\(more)"
            guard skipUnknown else { throw CLIError(what + hint) }
            Console.warning("\(what); dropped \(Format.plural(total, "occurrence"))")
        }
        return Corpus(path: path, tokens: tokens, vocabulary: fixed, fingerprint: fingerprint)
    }
}
