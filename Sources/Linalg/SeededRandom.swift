import Foundation

/// A small, fast, seeded random generator (xoshiro128** over a SplitMix64-expanded
/// seed) so that every experiment is reproducible.
///
/// ```swift
/// var rng = SeededRandom(seed: 42)
/// let u = rng.uniform(-0.1, 0.1)
/// let n = rng.normal()
/// let m = Matrix.random(3, 4, using: &rng)   // U(-1, 1)
/// ```
/// Its whole state is four `UInt32` words, readable and restorable through
/// `state`, so a checkpoint can resume the exact stream.
public struct SeededRandom: RandomNumberGenerator, Sendable, Equatable {
    /// The generator state; never all zero.
    public var state: [UInt32] {
        get { [s0, s1, s2, s3] }
        set {
            precondition(newValue.count == 4, "SeededRandom state has 4 words, got \(newValue.count)")
            (s0, s1, s2, s3) = (newValue[0], newValue[1], newValue[2], newValue[3])
            if s0 | s1 | s2 | s3 == 0 { s0 = 1 }
        }
    }

    private var s0: UInt32, s1: UInt32, s2: UInt32, s3: UInt32

    /// A generator whose stream is fixed by `seed`.
    public init(seed: UInt64) {
        var z = seed
        func splitMix() -> UInt64 {
            z &+= 0x9E37_79B9_7F4A_7C15
            var x = z
            x = (x ^ (x >> 30)) &* 0xBF58_476D_1CE4_E5B9
            x = (x ^ (x >> 27)) &* 0x94D0_49BB_1331_11EB
            return x ^ (x >> 31)
        }
        let a = splitMix(), b = splitMix()
        s0 = UInt32(truncatingIfNeeded: a); s1 = UInt32(truncatingIfNeeded: a >> 32)
        s2 = UInt32(truncatingIfNeeded: b); s3 = UInt32(truncatingIfNeeded: b >> 32)
        if s0 | s1 | s2 | s3 == 0 { s0 = 1 }
    }

    /// The next 32 random bits.
    public mutating func next32() -> UInt32 {
        let result = ((s1 &* 5) << 7 | (s1 &* 5) >> 25) &* 9
        let t = s1 << 9
        s2 ^= s0; s3 ^= s1; s1 ^= s2; s0 ^= s3
        s2 ^= t
        s3 = s3 << 11 | s3 >> 21
        return result
    }

    public mutating func next() -> UInt64 {
        UInt64(next32()) << 32 | UInt64(next32())
    }

    /// A uniform Float in `[0, 1)` with 24 random bits.
    public mutating func unit() -> Float {
        Float(next32() >> 8) * 0x1p-24
    }

    /// A uniform Float in `[low, high)`.
    public mutating func uniform(_ low: Float, _ high: Float) -> Float {
        low + (high - low) * unit()
    }

    /// A standard normal Float (Box-Muller), times `std`, plus `mean`.
    public mutating func normal(mean: Float = 0, std: Float = 1) -> Float {
        let u1 = Double(next32() >> 8 | 1) * 0x1p-24  // (0, 1)
        let u2 = Double(next32() >> 8) * 0x1p-24
        let r = (-2 * log(u1)).squareRoot()
        return mean + std * Float(r * cos(2 * Double.pi * u2))
    }

    /// A uniform integer in `0..<upperBound` (Lemire's unbiased method).
    public mutating func index(below upperBound: Int) -> Int {
        precondition(upperBound > 0, "index(below:) needs a positive bound, got \(upperBound)")
        return Int(next(upperBound: UInt64(upperBound)))
    }
}

extension Matrix {
    /// A `[rows, cols]` matrix of uniform values in `[low, high)`.
    public static func random(
        _ rows: Int, _ cols: Int, low: Float = -1, high: Float = 1,
        using rng: inout SeededRandom
    ) -> Matrix {
        var m = Matrix(rows: rows, cols: cols)
        for i in 0..<m.storage.count { m.storage[i] = rng.uniform(low, high) }
        return m
    }

    /// A `[rows, cols]` matrix of normal values.
    public static func randomNormal(
        _ rows: Int, _ cols: Int, mean: Float = 0, std: Float = 1,
        using rng: inout SeededRandom
    ) -> Matrix {
        var m = Matrix(rows: rows, cols: cols)
        for i in 0..<m.storage.count { m.storage[i] = rng.normal(mean: mean, std: std) }
        return m
    }
}
