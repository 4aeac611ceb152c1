import Linalg
import Testing

/// The bfloat16 `RowProduct` in every variant this processor runs (AVX-512 BF16's
/// `vdpbf16ps` in the AVX-512 variant where the CPU has it, scalar code in the others):
/// the packed pairs' layout, the product against a double-precision sum of the rounded
/// inputs, and a slice of the columns giving the whole product's bits.
struct BF16RowProductTests {
    /// `w` `[k, ldw]` packed into pairs `[⌈k/2⌉, ldo]` of its first `n` columns.
    static func pack(_ w: [Float], ldw: Int, k: Int, n: Int, ldo: Int) -> [UInt32] {
        var out = [UInt32](repeating: 0xDEAD_BEEF, count: (k + 1) / 2 * ldo)
        RowProduct.packPairs(w, ldw: ldw, k: k, n: n, into: &out, ldo: ldo)
        return out
    }

    @Test func pairsHoldTheEvenRowLowAndTheOddRowHigh() {
        var rng = SeededRandom(seed: 41)
        let (k, n, ldw, ldo) = (5, 7, 9, 8)
        let w = (0..<(k * ldw)).map { _ in rng.uniform(-3, 3) }
        let packed = Self.pack(w, ldw: ldw, k: k, n: n, ldo: ldo)
        for p in 0..<3 {
            for j in 0..<n {
                let pair = packed[p * ldo + j]
                #expect(UInt16(pair & 0xFFFF) == BFloat16.bits(w[2 * p * ldw + j]))
                #expect(UInt16(pair >> 16) == (2 * p + 1 < k ? BFloat16.bits(w[(2 * p + 1) * ldw + j]) : 0))
            }
            #expect(packed[p * ldo + n] == 0xDEAD_BEEF, "wrote past the n columns")
        }
    }

    @Test(arguments: KernelVariant.supported)
    func matchesADoubleSumOfTheRoundedInputs(_ variant: KernelVariant) {
        var rng = SeededRandom(seed: 42)
        // Odd k, column tails, a row stride past the columns, k past one chunk of 256 pairs.
        for (k, n, ldw) in [(1, 1, 1), (3, 17, 20), (64, 128, 128), (256, 1024, 1024), (33, 200, 257), (1101, 300, 304)] {
            let x = (0..<k).map { _ in rng.uniform(-1, 1) }
            let w = (0..<(k * n)).map { _ in rng.uniform(-1, 1) }
            let packed = Self.pack(w, ldw: n, k: k, n: n, ldo: ldw)
            let y0 = (0..<n).map { _ in rng.uniform(-1, 1) }
            var y = y0
            RowProduct.accumulate(variant: variant, x, pairs: packed, ldw: ldw, into: &y, k: k, n: n)
            let rx = x.map { Double(BFloat16.float(BFloat16.bits($0))) }
            for j in 0..<n {
                let terms = (0..<k).map { rx[$0] * Double(BFloat16.float(BFloat16.bits(w[$0 * n + j]))) }
                let exact = Double(y0[j]) + terms.reduce(0, +)
                // Exact products, k float additions: |error| ≤ (k + 1)·2⁻²⁴·(|y0| + Σ|terms|).
                let bound = Double(k + 1) * 0x1p-24 * (abs(Double(y0[j])) + terms.reduce(0) { $0 + abs($1) })
                #expect(
                    abs(Double(y[j]) - exact) <= bound, "\(variant.name) k \(k) n \(n) column \(j): \(y[j]) against \(exact)")
                if abs(Double(y[j]) - exact) > bound { return }
            }
        }
    }

    @Test(arguments: KernelVariant.supported)
    func aSliceOfColumnsHasTheWholeProductsBits(_ variant: KernelVariant) {
        var rng = SeededRandom(seed: 43)
        let k = 97, n = 1000
        let x = (0..<k).map { _ in rng.uniform(-1, 1) }
        let packed = Self.pack((0..<(k * n)).map { _ in rng.uniform(-1, 1) }, ldw: n, k: k, n: n, ldo: n)
        var whole = [Float](repeating: 0.25, count: n), parts = whole
        RowProduct.accumulate(variant: variant, x, pairs: packed, ldw: n, into: &whole, k: k, n: n)
        packed.withUnsafeBufferPointer { pw in
            parts.withUnsafeMutableBufferPointer { py in
                for (lo, hi) in [(0, 37), (37, 500), (500, 516), (516, 1000)] {
                    RowProduct.accumulate(
                        variant: variant, x, pairs: pw.baseAddress! + lo, ldw: n, into: py.baseAddress! + lo, k: k,
                        n: hi - lo)
                }
            }
        }
        #expect(whole == parts)
    }

    /// The scalar code adds each lane's odd product, then its even one, as the instruction
    /// is specified to: where the CPU has it, the two agree bit for bit on normal numbers.
    @Test(.enabled(if: BF16Support.current.isAvailable, "skipped: no avx512_bf16"))
    func theScalarCodeMatchesTheInstructionBitForBit() {
        var rng = SeededRandom(seed: 44)
        let k = 515, n = 300
        let x = (0..<k).map { _ in rng.uniform(-1, 1) }
        let packed = Self.pack((0..<(k * n)).map { _ in rng.uniform(-1, 1) }, ldw: n, k: k, n: n, ldo: n)
        var scalar = [Float](repeating: 0.5, count: n), vector = scalar
        RowProduct.accumulate(variant: .baseline, x, pairs: packed, ldw: n, into: &scalar, k: k, n: n)
        RowProduct.accumulate(variant: .avx512, x, pairs: packed, ldw: n, into: &vector, k: k, n: n)
        let differing = zip(scalar, vector).filter { $0 != $1 }.count
        #expect(differing == 0, "\(differing) of \(n) columns differ")
    }
}
