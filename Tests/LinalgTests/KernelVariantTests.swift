import ElementwiseKernels
import Foundation
import Linalg
import Testing

/// The two compiled variants of the elementwise kernels (x86-64 baseline and, where the
/// processor has it, AVX2 + FMA) and the Swift scalar functions, each against libm over
/// a sweep of the float range, and the in-place and out-of-place forms against each other. `VectorMathTests` checks the
/// variant `Vector` dispatches to; this checks the baseline too, which a machine without
/// AVX2 would run.
struct KernelVariantTests {
    /// The C baseline, the C variant `Vector` dispatches to, and the Swift scalar
    /// functions (`Vector.exp(_: Float)` etc., for callers' own loops).
    enum Variant: String, CaseIterable, CustomTestStringConvertible {
        case baseline, dispatched, swiftScalar
        var testDescription: String { rawValue }

        func exp(_ x: [Float]) -> [Float] { run(x, srnn_exp_baseline, srnn_exp, Vector.exp) }
        func tanh(_ x: [Float]) -> [Float] { run(x, srnn_tanh_baseline, srnn_tanh, Vector.tanh) }
        func sigmoid(_ x: [Float]) -> [Float] { run(x, srnn_sigmoid_baseline, srnn_sigmoid, Vector.sigmoid) }

        private typealias BufferKernel = (UnsafePointer<Float>?, UnsafeMutablePointer<Float>?, Int) -> Void

        /// `x` through this variant of one function: its C baseline, its dispatched C
        /// kernel, or its Swift scalar form.
        private func run(_ x: [Float], _ baseline: BufferKernel, _ dispatched: BufferKernel,
                         _ scalar: (Float) -> Float) -> [Float] {
            switch self {
            case .baseline: return apply(x, baseline)
            case .dispatched: return apply(x, dispatched)
            case .swiftScalar: return x.map(scalar)
            }
        }

        private func apply(_ x: [Float], _ f: BufferKernel) -> [Float] {
            var y = [Float](repeating: .nan, count: x.count)
            x.withUnsafeBufferPointer { s in y.withUnsafeMutableBufferPointer { d in f(s.baseAddress, d.baseAddress, x.count) } }
            return y
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
            if ref >= Double(Float.leastNormalMagnitude) { worst = max(worst, ulpError(y, ref)) }
            else { #expect(abs(Double(y) - ref) < Double(Float.leastNormalMagnitude), "sigmoid(\(x)) = \(y), exact \(ref)") }
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
            ] as [(String, (UnsafePointer<Float>, UnsafeMutablePointer<Float>, Int) -> Void,
                   (UnsafeMutablePointer<Float>, Int) -> Void)] {
                var a = xs, b = [Float](repeating: 0, count: count + 1)
                a.withUnsafeMutableBufferPointer { inPlace($0.baseAddress!, count) }
                xs.withUnsafeBufferPointer { s in b.withUnsafeMutableBufferPointer { outOfPlace(s.baseAddress!, $0.baseAddress!, count) } }
                #expect(a == Array(b.prefix(count)), "\(name), \(count) elements")
                #expect(b[count] == 0, "\(name) wrote past \(count) elements")
            }
        }
    }

    /// The baseline and the dispatched variant differ by FMA rounding at most.
    @Test func variantsAgree() {
        let xs = (-3000...3000).map { Float($0) * 0.003 }
        for (a, b) in [(Variant.baseline.tanh(xs), Variant.dispatched.tanh(xs)),
                       (Variant.baseline.sigmoid(xs), Variant.dispatched.sigmoid(xs))] {
            for (u, v) in zip(a, b) { #expect(abs(u - v) <= 4 * max(u.magnitude, v.magnitude).ulp) }
        }
        print("elementwise kernels: \(Vector.usesAVX2 ? "AVX2 + FMA" : "x86-64 baseline") variant dispatched")
    }
}
