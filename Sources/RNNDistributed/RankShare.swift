import RNN

/// The contiguous share of a batch's `B` sequences (streams) that rank `r` of `N` trains:
/// sequences `r·B/N ..< (r+1)·B/N` (the split `DataParallelModel` makes across threads), so
/// the N ranks together train the whole batch and the global batch stays `B`.
///
/// ```swift
/// RankShare(rank: 1, ranks: 4, batchSize: 10).sequences   // 2..<5
/// ```
public struct RankShare: Sendable, Equatable {
    public let rank: Int
    public let ranks: Int
    public let batchSize: Int

    public init(rank: Int, ranks: Int, batchSize: Int) {
        precondition(ranks >= 1 && rank >= 0 && rank < ranks && batchSize >= 0, "rank \(rank) of \(ranks), batch \(batchSize)")
        (self.rank, self.ranks, self.batchSize) = (rank, ranks, batchSize)
    }

    /// The sequences of rank `r`.
    public static func sequences(rank r: Int, ranks: Int, batchSize B: Int) -> Range<Int> {
        (r * B / ranks)..<((r + 1) * B / ranks)
    }

    /// This rank's sequences.
    public var sequences: Range<Int> { Self.sequences(rank: rank, ranks: ranks, batchSize: batchSize) }

    /// Every rank's sequences, in rank order.
    public var all: [Range<Int>] { (0..<ranks).map { Self.sequences(rank: $0, ranks: ranks, batchSize: batchSize) } }

    /// This rank's rows of a whole batch's state `[blocks, B, width]`:
    /// `[blocks, share, width]` (nil stays nil).
    /// - Complexity: O(blocks · share · width).
    public func localState(of whole: [Float]?, blocks: Int) -> [Float]? {
        guard let whole else { return nil }
        var out: [Float]? = nil
        TimeMajor.gatherState(whole, blocks: blocks, batchSize: batchSize, sequences: sequences, into: &out)
        return out
    }

    /// The whole batch's state `[blocks, B, width]` from every rank's `[blocks, share_r, width]`
    /// (`parts[r]`, in rank order). - Complexity: O(blocks · B · width).
    public func wholeState(from parts: [[Float]], blocks: Int, width: Int) -> [Float] {
        var whole = [Float](repeating: 0, count: blocks * batchSize * width)
        for (r, range) in all.enumerated() where !range.isEmpty {
            TimeMajor.scatter(parts[r], width: width, steps: blocks, batchSize: batchSize, sequences: range, into: &whole)
        }
        return whole
    }
}
