import Linalg

// Measured: one sample of a 2x256 LSTM on two threads of an Intel Xeon (2 MiB L2) ran at
// 41% of the bandwidth bound from the unpacked weight.
/// A team's shares of a prepared `[K, G·H]` weight (a `W_hhᵀ` or `W_ihᵀ`): for each rank,
/// the columns of its units in every gate block, packed `[K, G·n_r]` row by row (gate
/// block `g`'s `n_r` columns at `g·n_r`), in the form its products read (`Form`).
///
/// Why packed: a rank's columns of the unpacked weight are `G` runs per row at the row
/// stride, which map to a fraction of a cache's sets (half of each 4 KiB row to half the
/// sets), so a share near the size of a core's L2 does not stay in it. Packed, each rank
/// reads one contiguous block that does.
///
/// Each form is made again when the weight's version or the team's shares change.
/// - Complexity: `O(K·G·H)` to make a form.
final class PackedShares {
    /// How a share is stored, for the products that read it.
    enum Form {
        /// Floats, for `BLAS.gemm` and `RowProduct`.
        case fp32
        /// bf16 bits `[K, G·n_r]`, for `BLAS.gemmBF16` (several rows at once).
        case bf16
        /// bf16 in pairs of rows `[⌈K/2⌉, G·n_r]` (`RowProduct.packPairs`), for one row's
        /// bf16 `RowProduct`.
        case bf16Pairs
    }

    private let floats = Packing<Float>()
    private let halves = Packing<UInt16>()
    private let pairs = Packing<UInt32>()

    /// The floats' worth of every form made.
    var heldFloats: Int { floats.heldFloats + halves.heldFloats + pairs.heldFloats }

    /// Packs `weight` (`[K, G·H]`) in `form` for `shares(count)` (each of `count` ranks'
    /// units) unless that form holds it already, for `version` of the parameters. No
    /// allocation when it does.
    func prepare(
        _ weight: UnsafePointer<Float>, depth K: Int, gates G: Int, hidden H: Int, ranks count: Int,
        shares share: (Int) -> Range<Int>, version: UInt64, form: Form
    ) {
        let key = (version: version, depth: K, ranks: count)
        switch form {
        case .fp32:
            floats.prepare(key, share, rows: K, gates: G) { i, g, units, row in
                row.update(from: weight + i * G * H + g * H + units.lowerBound, count: units.count)
            }
        case .bf16:
            halves.prepare(key, share, rows: K, gates: G) { i, g, units, row in
                BFloat16.round(weight + i * G * H + g * H + units.lowerBound, count: units.count, into: row)
            }
        case .bf16Pairs:
            pairs.prepare(key, share, rows: (K + 1) / 2, gates: G) { p, g, units, row in
                RowProduct.packPairs(
                    weight + 2 * p * G * H + g * H + units.lowerBound, ldw: G * H, k: min(2, K - 2 * p), n: units.count,
                    into: row, ldo: units.count)
            }
        }
    }

    /// Rank `rank`'s packed share `[K, G·n_r]` in floats (`Form.fp32`).
    func share(_ rank: Int) -> UnsafePointer<Float> { UnsafePointer(floats.buffers[rank].pointer) }
    /// Rank `rank`'s share in bf16 bits (`Form.bf16`).
    func bf16Share(_ rank: Int) -> UnsafePointer<UInt16> { UnsafePointer(halves.buffers[rank].pointer) }
    /// Rank `rank`'s share in pairs of rows (`Form.bf16Pairs`).
    func pairShare(_ rank: Int) -> UnsafePointer<UInt32> { UnsafePointer(pairs.buffers[rank].pointer) }
}

/// One form's buffers, one per rank, and what they were made from.
private final class Packing<Element: BitwiseCopyable & Numeric> {
    private(set) var buffers: [AlignedBuffer<Element>] = []
    private var made: (version: UInt64, depth: Int, shares: [Range<Int>])?

    var heldFloats: Int { buffers.reduce(0) { $0 + $1.heldFloats } }

    /// Unless made already for the parameters' `key.version`, `K` = `key.depth` and each
    /// of `key.ranks` ranks' units `share(rank)` (checked without allocating): for each
    /// rank, `rows` rows of `G·n_r` elements (gate block `g`'s `n_r` at `g·n_r`), each
    /// block written by `fill(row, g, units, at)`.
    func prepare(
        _ key: (version: UInt64, depth: Int, ranks: Int), _ share: (Int) -> Range<Int>, rows: Int, gates G: Int,
        fill: (_ row: Int, _ gate: Int, _ units: Range<Int>, _ at: UnsafeMutablePointer<Element>) -> Void
    ) {
        if let made, made.version == key.version, made.depth == key.depth, made.shares.count == key.ranks,
            made.shares.indices.allSatisfy({ made.shares[$0] == share($0) })
        {
            return
        }
        let shares = (0..<key.ranks).map(share)
        while buffers.count < shares.count { buffers.append(AlignedBuffer()) }
        for (rank, units) in shares.enumerated() {
            let n = units.count, packed = buffers[rank]
            packed.resize(rows * G * n)
            for i in 0..<rows {
                for g in 0..<G { fill(i, g, units, packed.pointer + (i * G + g) * n) }
            }
        }
        made = (key.version, key.depth, shares)
    }
}
