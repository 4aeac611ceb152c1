import Foundation

/// How `EncoderDecoderModel.decode` searches: beam width, GNMT's length penalty, the
/// longest output relative to the source, and how many hypotheses to return.
///
/// Each step extends every live hypothesis of a source by every token and keeps the `width`
/// best (by the sum of log-probabilities); a hypothesis that emits the end token is
/// finished, scored `log P(y | x) / lp(|y|)` with `lp(n) = ((5 + n) / 6)^α` (Wu et al. 2016;
/// `|y|` counts the end token). A source's search stops when its best candidate of a step
/// ends (so width 1 is greedy decoding, token for token) or at `maxLength(sourceLength:)`.
///
/// ```swift
/// let best = model.decode([[3, 1, 4]], BeamSearch(width: 5))[0][0]   // Translation
/// print(best.tokens, best.score)
/// ```
public struct BeamSearch: Sendable, Equatable {
    /// `k`: hypotheses kept per source, `1...`.
    public var width: Int
    /// `α` of the length penalty, `≥ 0` (0: raw log-probabilities; GNMT used 0.6–1).
    public var lengthPenalty: Double
    /// The output may be up to `ceil(maxLengthRatio · source length) + maxLengthExtra` tokens.
    public var maxLengthRatio: Double
    /// See `maxLengthRatio`.
    public var maxLengthExtra: Int
    /// Hypotheses returned per source (`1...width`), best first.
    public var nBest: Int

    /// - Parameters:
    ///   - width: hypotheses kept per source (`k ≥ 1`).
    ///   - lengthPenalty: `α ≥ 0`.
    ///   - maxLengthRatio: output tokens per source token at most (with `maxLengthExtra`).
    ///   - maxLengthExtra: tokens allowed on top of the ratio.
    ///   - nBest: hypotheses to return per source, `1...width`.
    public init(width: Int = 5, lengthPenalty: Double = 0.6, maxLengthRatio: Double = 2, maxLengthExtra: Int = 10, nBest: Int = 1) {
        self.width = width
        self.lengthPenalty = lengthPenalty
        self.maxLengthRatio = maxLengthRatio
        self.maxLengthExtra = maxLengthExtra
        self.nBest = nBest
    }

    /// Width 1 without a length penalty: greedy decoding.
    public static let greedy = BeamSearch(width: 1, lengthPenalty: 0)

    /// What makes these options unusable, or nil.
    public var problem: String? {
        if width < 1 { return "the beam width must be at least 1, got \(width)" }
        if !(lengthPenalty >= 0 && lengthPenalty.isFinite) {
            return "the length penalty α must be a finite number ≥ 0, got \(lengthPenalty)"
        }
        if !(maxLengthRatio >= 0 && maxLengthRatio.isFinite) || maxLengthExtra < 0 || maxLength(sourceLength: 1) < 1 {
            return "the maximum length (ratio \(maxLengthRatio), extra \(maxLengthExtra)) must allow at least one token"
        }
        if !(1...width).contains(nBest) { return "n-best must be in 1...\(width) (the beam width), got \(nBest)" }
        return nil
    }

    /// The most tokens (the end token included) decoded for a source of `sourceLength` tokens.
    public func maxLength(sourceLength: Int) -> Int {
        Int((maxLengthRatio * Double(sourceLength)).rounded(.up)) + maxLengthExtra
    }

    /// `lp(n) = ((5 + n) / 6)^α`.
    public func penalty(length n: Int) -> Double { pow((5 + Double(n)) / 6, lengthPenalty) }
}

/// One output of `EncoderDecoderModel.decode`.
public struct Translation: Sendable, Equatable {
    /// The output tokens, without the end token.
    public var tokens: [Int32]
    /// `log P(tokens, end | source)`: the sum of the steps' log-probabilities (the end
    /// token's included when `ended`).
    public var logProbability: Double
    /// `logProbability / lp(length)`, what the beam ranks finished hypotheses by.
    public var score: Double
    /// Whether the hypothesis emitted the end token (false: cut at the maximum length).
    public var ended: Bool
    /// With `recordAttention` and an attention model: per output step (the end token's
    /// included) the weights over the source's tokens; otherwise empty.
    public var attention: [[Float]]
}
