import Linalg

// Measured: one sample of a 2x256 LSTM on two threads of an Intel Xeon (2 MiB L2) ran at
// 41% of the bandwidth bound from the unpacked weight.
/// A team's shares of a prepared `[K, G·H]` weight (a `W_hhᵀ` or `W_ihᵀ`): for each rank,
/// the columns of its units in every gate block, packed `[K, G·n_r]` row by row (gate
/// block `g`'s `n_r` columns at `g·n_r`).
///
/// Why packed: a rank's columns of the unpacked weight are `G` runs per row at the row
/// stride, which map to a fraction of a cache's sets (half of each 4 KiB row to half the
/// sets), so a share near the size of a core's L2 does not stay in it. Packed, each rank
/// reads one contiguous block that does.
///
/// Made again when the weight's version or the team's shares change.
/// - Complexity: `O(K·G·H)` to make.
final class PackedShares {
    private var buffers: [FloatBuffer] = []
    private var version: UInt64?
    private var shares: [Range<Int>] = []
    private var depth = 0

    /// The floats of every rank's share.
    var heldFloats: Int { buffers.reduce(0) { $0 + $1.heldFloats } }

    /// Packs `weight` (`[K, G·H]`) for `shares(count)` (each of `count` ranks' units)
    /// unless it holds that already, for `version` of the parameters. No allocation when it does.
    func prepare(
        _ weight: UnsafePointer<Float>, depth K: Int, gates G: Int, hidden H: Int, ranks count: Int,
        shares share: (Int) -> Range<Int>, version: UInt64
    ) {
        if version == self.version && K == depth && self.shares.count == count
            && self.shares.indices.allSatisfy({ self.shares[$0] == share($0) })
        {
            return
        }
        let shares = (0..<count).map(share)
        while buffers.count < shares.count { buffers.append(FloatBuffer()) }
        for (rank, units) in shares.enumerated() {
            let n = units.count, packed = buffers[rank]
            packed.resize(K * G * n)
            for i in 0..<K {
                for g in 0..<G {
                    (packed.pointer + (i * G + g) * n).update(from: weight + i * G * H + g * H + units.lowerBound, count: n)
                }
            }
        }
        (self.version, self.shares, depth) = (version, shares, K)
    }

    /// Rank `rank`'s packed share `[K, G·n_r]`.
    func share(_ rank: Int) -> UnsafePointer<Float> { UnsafePointer(buffers[rank].pointer) }
}
