import Foundation
import Linalg
import RNN
import SequenceData
import _ToolSupport

/// Reading pairs files and turning their texts into tokens, with errors that name the
/// option, the file and the line.
enum PairData {
    /// The pairs of `path`, or one `error:` line naming `option`, the file and the line.
    static func read(_ path: String, option: String) throws -> TextPairs {
        do {
            return try TextPairs(path: path, byteBudget: Int(MemoryBudget.current().bytes * 0.6))
        } catch {
            if case .file(_, .notFound) = error {
                throw CLIError("\(option) file '\(path)' does not exist; check the path")
            }
            throw CLIError("\(option) \(error)")
        }
    }

    /// `pairs` split into training and validation by a seeded shuffle: `fraction` of them
    /// (at least one when `fraction > 0`) for validation.
    static func split(_ pairs: TextPairs, fraction: Double, seed: UInt64, path: String) throws -> (train: [Int], validation: [Int]) {
        guard pairs.count >= 2 else {
            throw CLIError(
                "--pairs '\(path)' holds \(Format.plural(pairs.count, "pair")); training needs at least 2 (some to learn from, some to validate on)"
            )
        }
        var order = Array(0..<pairs.count)
        var rng = SeededRandom(seed: seed ^ 0x5EED)
        for i in stride(from: order.count - 1, to: 0, by: -1) { order.swapAt(i, rng.index(below: i + 1)) }
        let held = fraction > 0 ? min(pairs.count - 1, max(1, Int(Double(pairs.count) * fraction))) : 0
        return (Array(order.dropFirst(held)), Array(order.prefix(held)))
    }

    /// Both sides of every pair as tokens (targets without the end token).
    /// - Throws: for a side of no token in its unit (a word side of only spaces), naming the line.
    static func encode(
        _ pairs: TextPairs, _ source: SideVocabulary, _ target: SideVocabulary, path: String
    ) throws -> (sources: [[Int32]], targets: [[Int32]]) {
        let sources = pairs.sources.map(source.encode), targets = pairs.targets.map(target.encode)
        for (i, line) in pairs.lines.enumerated() {
            for (tokens, side, unit) in [(sources[i], "source", source.unit), (targets[i], "target", target.unit)] where tokens.isEmpty {
                throw CLIError("'\(path)' line \(line) has a \(side) of no \(unit.tokenName) (only spaces); both sides of a pair need text")
            }
        }
        return (sources, targets)
    }

    /// Refuses a source longer than the model was trained for: `line` of `path` (or of the input).
    static func checkLength(_ tokens: Int, limit: Int, place: String) throws {
        guard tokens <= limit else {
            throw CLIError(
                "\(place) has a source of \(Format.plural(tokens, "token")); the model was trained on sources of at most \(limit), and attention does not carry past what it learned; shorten it, or train on longer sources"
            )
        }
    }
}
