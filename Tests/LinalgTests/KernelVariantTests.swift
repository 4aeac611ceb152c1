import Foundation
import Linalg
import Testing
import _RNNKernels

/// Every compiled variant of the elementwise kernels that this processor runs (x86-64
/// baseline, AVX2 + FMA, AVX-512) and the Swift scalar functions, each against libm over
/// a sweep of the float range, and the in-place and out-of-place forms against each other.
/// `VectorMathTests` checks the variant `Vector` dispatches to; this checks the others
/// too, which smaller machines run.
struct KernelVariantTests {
    /// One compiled C variant, or the Swift scalar functions (`Vector.exp(_: Float)` etc.,
    /// for callers' own loops).
    enum Variant: CustomTestStringConvertible {
        case compiled(KernelVariant)
        case swiftScalar

        /// The variants this processor runs, and the Swift scalar functions.
        static var allCases: [Variant] { KernelVariant.supported.map { .compiled($0) } + [.swiftScalar] }

        var testDescription: String {
            switch self {
            case .compiled(let v): return v.name
            case .swiftScalar: return "swiftScalar"
            }
        }

        func exp(_ x: [Float]) -> [Float] { run(x, srnn_exp_variant, Vector.exp) }
        func tanh(_ x: [Float]) -> [Float] { run(x, srnn_tanh_variant, Vector.tanh) }
        func sigmoid(_ x: [Float]) -> [Float] { run(x, srnn_sigmoid_variant, Vector.sigmoid) }

        private typealias BufferKernel = (Int32, UnsafePointer<Float>?, UnsafeMutablePointer<Float>?, Int) -> Void

        /// `x` through this variant of one function: its compiled C kernel or its Swift
        /// scalar form.
        private func run(_ x: [Float], _ kernel: BufferKernel, _ scalar: (Float) -> Float) -> [Float] {
            switch self {
            case .compiled(let v):
                var y = [Float](repeating: .nan, count: x.count)
                x.withUnsafeBufferPointer { s in
                    y.withUnsafeMutableBufferPointer { d in kernel(Int32(v.rawValue), s.baseAddress, d.baseAddress, x.count) }
                }
                return y
            case .swiftScalar: return x.map(scalar)
            }
        }
    }

    static let sweep = floatSweep(stride: 4093) + (-4000...4000).map { Float($0) * 0.01 }

    @Test(arguments: Variant.allCases)
    func expWithinTwoUlp(variant: Variant) {
        let ys = variant.exp(Self.sweep)
        var worst = 0.0
        for (x, y) in zip(Self.sweep, ys) {
            let ref = Foundation.exp(Double(x))
            if ref >= Double(Float.leastNormalMagnitude) && ref <= Double(Float.greatestFiniteMagnitude) {
                worst = max(worst, ulpError(y, ref))
            } else if ref > Double(Float.greatestFiniteMagnitude) {
                #expect(y == .infinity, "exp(\(x)) = \(y)")
            } else {
                #expect(abs(Double(y) - ref) <= 1.5e-45, "exp(\(x)) = \(y), libm \(ref)")
            }
        }
        #expect(worst > 0 && worst <= 2, "worst exp error \(worst) ulp")
        #expect(variant.exp([.nan])[0].isNaN && variant.exp([-.infinity]) == [0] && variant.exp([0]) == [1])
    }

    @Test(arguments: Variant.allCases)
    func tanhWithinThreeUlp(variant: Variant) {
        let ys = variant.tanh(Self.sweep)
        var worst = 0.0
        for (x, y) in zip(Self.sweep, ys) { worst = max(worst, ulpError(y, Foundation.tanh(Double(x)))) }
        #expect(worst > 0 && worst <= 3, "worst tanh error \(worst) ulp")
        let special = variant.tanh([-0.0, .infinity, -.infinity, .nan])
        #expect(special[0] == 0 && special[0].sign == .minus && special[1] == 1 && special[2] == -1 && special[3].isNaN)
    }

    /// 1 / (1 + exp(-x)): exp's 2 ulp, plus the rounding of the sum and of the quotient.
    /// Below the normal range (x < -87.3) exp(-x) overflows and the result flushes to 0:
    /// an absolute error under the smallest normal float.
    @Test(arguments: Variant.allCases)
    func sigmoidWithinFourUlp(variant: Variant) {
        let ys = variant.sigmoid(Self.sweep)
        var worst = 0.0
        for (x, y) in zip(Self.sweep, ys) {
            let ref = 1 / (1 + Foundation.exp(-Double(x)))
            if ref >= Double(Float.leastNormalMagnitude) {
                worst = max(worst, ulpError(y, ref))
            } else {
                #expect(abs(Double(y) - ref) < Double(Float.leastNormalMagnitude), "sigmoid(\(x)) = \(y), exact \(ref)")
            }
        }
        #expect(worst > 0 && worst <= 4, "worst sigmoid error \(worst) ulp")
        #expect(variant.sigmoid([.infinity, -.infinity, 0]) == [1, 0, 0.5])
    }

    /// In place and out of place give the same bits, at every tail length.
    @Test func inPlaceEqualsOutOfPlace() {
        var rng = SeededRandom(seed: 11)
        for count in [0, 1, 3, 7, 8, 9, 15, 16, 17, 100] {
            let xs = (0..<count).map { _ in rng.uniform(-12, 12) }
            for (name, outOfPlace, inPlace) in [
                ("exp", Vector.exp(_:into:count:), Vector.exp(inPlace:count:)),
                ("tanh", Vector.tanh(_:into:count:), Vector.tanh(inPlace:count:)),
            ]
                as [(
                    String, (UnsafePointer<Float>, UnsafeMutablePointer<Float>, Int) -> Void,
                    (UnsafeMutablePointer<Float>, Int) -> Void
                )]
            {
                var a = xs, b = [Float](repeating: 0, count: count + 1)
                a.withUnsafeMutableBufferPointer { inPlace($0.baseAddress!, count) }
                xs.withUnsafeBufferPointer { s in b.withUnsafeMutableBufferPointer { outOfPlace(s.baseAddress!, $0.baseAddress!, count) } }
                #expect(a == Array(b.prefix(count)), "\(name), \(count) elements")
                #expect(b[count] == 0, "\(name) wrote past \(count) elements")
            }
        }
    }

    /// Every compiled variant differs from the baseline by FMA rounding at most; the AVX2
    /// and AVX-512 variants (both with FMA) give the same bits.
    @Test func variantsAgree() {
        let xs = (-3000...3000).map { Float($0) * 0.003 }
        let base = Variant.compiled(.baseline)
        for v in KernelVariant.supported.dropFirst() {
            let other = Variant.compiled(v)
            for (a, b) in [(base.tanh(xs), other.tanh(xs)), (base.sigmoid(xs), other.sigmoid(xs))] {
                for (u, w) in zip(a, b) { #expect(abs(u - w) <= 4 * max(u.magnitude, w.magnitude).ulp, "\(v.name)") }
            }
        }
        if KernelVariant.supported.contains(.avx512) {
            let (a, b) = (Variant.compiled(.avx2), Variant.compiled(.avx512))
            #expect(a.exp(xs) == b.exp(xs) && a.tanh(xs) == b.tanh(xs) && a.sigmoid(xs) == b.sigmoid(xs))
        }
        print("kernel variants: \(KernelVariant.supported.map(\.name)) supported, \(KernelVariant.current.name) dispatched")
    }

    /// The variant in use is the one `SWIFT_RNN_KERNELS` asks for (when supported), else
    /// the best supported; selecting one the processor lacks is refused.
    @Test func dispatchFollowsTheEnvironment() {
        let requested = ProcessInfo.processInfo.environment["SWIFT_RNN_KERNELS"].flatMap { name in
            KernelVariant.allCases.first { $0.name == name }
        }
        #expect(KernelVariant.current == (requested.map { min($0, KernelVariant.bestSupported) } ?? KernelVariant.bestSupported))
        #expect(KernelVariant.supported.first == .baseline && KernelVariant.supported.last == KernelVariant.bestSupported)
        if KernelVariant.bestSupported < .avx512 { #expect(srnn_kernels_select(2) == -1) }
        #expect(srnn_kernels_select(3) == -1 && srnn_kernels_select(-1) == -1)
        #expect(KernelVariant.current == Vector.kernelVariant)
    }
}
