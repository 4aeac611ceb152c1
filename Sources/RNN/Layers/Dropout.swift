/// Inverted dropout for one training step: each element of an activation is zeroed with
/// probability `rate` and the rest are scaled by `1 / (1 - rate)`, as PyTorch's
/// `nn.Dropout` in training mode, so evaluation (no dropout) needs no rescaling.
///
/// The masks come from a **counter-based** generator: the keep/drop decision of element
/// `j` of step `t` of sequence `b` at site `s` is a hash of (`seed`, `step`, `s`, `t`,
/// `firstSequence + b`, `j`). So the masks do not depend on how a batch is split across
/// threads or ranks (each slice knows the index of its first sequence), and a resumed run
/// draws exactly the masks of the uninterrupted one from its step count alone — the
/// dropout's whole random state is `seed` and `step`.
///
/// ```swift
/// let noise = DropoutNoise(rate: 0.3, seed: 7, step: trainer.position.step)
/// noise.fillMask(site: 1, steps: T, batchSize: B, width: H, into: mask)   // [T*B, H]: 0 or 1/0.7
/// ```
public struct DropoutNoise: Sendable, Equatable {
    /// The probability of dropping an element, in `[0, 1)`.
    public var rate: Float
    /// The run's dropout seed.
    public var seed: UInt64
    /// The training step the masks are for.
    public var step: Int
    /// The index of the batch's first sequence in the whole batch (a thread's or rank's
    /// slice starts past 0).
    public var firstSequence: Int

    public init(rate: Float, seed: UInt64, step: Int, firstSequence: Int = 0) {
        precondition(rate >= 0 && rate < 1, "dropout rate must be in [0, 1), got \(rate)")
        self.rate = rate
        self.seed = seed
        self.step = step
        self.firstSequence = firstSequence
    }

    /// The kept elements' value, `1 / (1 - rate)`.
    public var scale: Float { 1 / (1 - rate) }

    /// Writes the mask of `site` for `T` steps of `B` sequences of `width` elements into
    /// `mask` `[T*B, width]` (time-major: row `t*B + b`): each value 0 (dropped) or
    /// `scale` (kept).
    /// - Complexity: O(T·B·width), one 64-bit hash per row and per two elements.
    public func fillMask(site: Int, steps T: Int, batchSize B: Int, width: Int, into mask: UnsafeMutablePointer<Float>) {
        // Keep when the 32-bit draw is at least `threshold`: P(drop) = threshold / 2³².
        let threshold = UInt64((Double(rate) * 4_294_967_296).rounded())
        let kept = scale
        var base = Self.mix(seed ^ 0x5DEE_CE66_D1CE_4E5B)
        base = Self.mix(base ^ UInt64(truncatingIfNeeded: step))
        base = Self.mix(base ^ UInt64(truncatingIfNeeded: site))
        for t in 0..<T {
            let stepKey = Self.mix(base ^ UInt64(truncatingIfNeeded: t))
            for b in 0..<B {
                var state = Self.mix(stepKey ^ UInt64(truncatingIfNeeded: firstSequence + b))
                let row = mask + (t * B + b) * width
                var j = 0
                while j < width {
                    state &+= 0x9E37_79B9_7F4A_7C15
                    let bits = Self.mix(state)
                    row[j] = bits & 0xFFFF_FFFF >= threshold ? kept : 0
                    if j + 1 < width { row[j + 1] = bits >> 32 >= threshold ? kept : 0 }
                    j += 2
                }
            }
        }
    }

    /// SplitMix64's finalizer: a bijective mix of all 64 bits.
    @inline(__always)
    static func mix(_ x: UInt64) -> UInt64 {
        var z = x &+ 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// One dropout site of a model: its mask for the running step, kept for the backward pass.
final class DropoutSite {
    let site: Int
    private let mask = FloatBuffer()

    init(site: Int) { self.site = site }

    /// The floats of its mask.
    var heldFloats: Int { mask.heldFloats }

    /// Draws the mask for `[T*B, width]` and multiplies `x` by it, in place or into `out`.
    func forward(
        _ noise: DropoutNoise, steps T: Int, batchSize B: Int, width: Int,
        _ x: UnsafePointer<Float>, into out: UnsafeMutablePointer<Float>
    ) {
        let n = T * B * width
        mask.resize(n)
        noise.fillMask(site: site, steps: T, batchSize: B, width: width, into: mask.pointer)
        let m = mask.pointer
        for i in 0..<n { out[i] = x[i] * m[i] }
    }

    /// `gradient *= mask` (d(loss)/d(x) from d(loss)/d(output)), in place.
    func backward(_ gradient: UnsafeMutablePointer<Float>, count: Int) {
        precondition(count == mask.count, "dropout backward over \(count) values, the mask has \(mask.count)")
        let m = mask.pointer
        for i in 0..<count { gradient[i] *= m[i] }
    }

    /// `into += gradient * mask`.
    func backward(_ gradient: UnsafePointer<Float>, addingInto into: UnsafeMutablePointer<Float>, count: Int) {
        precondition(count == mask.count, "dropout backward over \(count) values, the mask has \(mask.count)")
        let m = mask.pointer
        for i in 0..<count { into[i] += gradient[i] * m[i] }
    }
}
