import Foundation
import Linalg
import Testing

/// Units in the last place between `x` and the Double reference `ref`, measured in
/// ulps of the Float nearest to `ref`.
func ulpError(_ x: Float, _ ref: Double) -> Double {
    let r = Float(ref)
    if x == r { return 0 }
    let ulp = Double(r.ulp == 0 ? Float.leastNonzeroMagnitude : r.ulp)
    return abs(Double(x) - ref) / ulp
}

/// A sweep of the float range: every `stride`-th bit pattern of both signs,
/// which covers every exponent with many mantissas.
func floatSweep(stride: UInt32) -> [Float] {
    var xs: [Float] = []
    var bits: UInt32 = 0
    while bits < 0x7F80_0000 {
        let x = Float(bitPattern: bits)
        xs.append(x); xs.append(-x)
        bits += stride
    }
    return xs
}

struct VectorMathTests {
    @Test func expErrorBoundOverTheFloatRange() {
        let xs = floatSweep(stride: 997) + (-2000...2000).map { Float($0) * 0.05 }
        let ys = Vector.exp(xs)
        var worst = 0.0
        for (x, y) in zip(xs, ys) {
            let ref = Foundation.exp(Double(x))
            if ref >= Double(Float.leastNormalMagnitude) && ref <= Double(Float.greatestFiniteMagnitude) {
                let e = ulpError(y, ref)
                worst = max(worst, e)
                #expect(e <= 2, "exp(\(x)) = \(y), libm \(ref)")
            } else if ref > Double(Float.greatestFiniteMagnitude) {
                #expect(y == .infinity, "exp(\(x)) should overflow to inf, got \(y)")
            } else {
                #expect(abs(Double(y) - ref) <= 1.5e-45, "exp(\(x)) = \(y) in the subnormal range, libm \(ref)")
            }
        }
        #expect(worst > 0)  // the sweep did compare something
    }

    @Test func expSpecialValues() {
        let ys = Vector.exp([0, -0.0, .infinity, -.infinity, .nan, 88.7, 88.73, 89, -87.33, -103, -104, 1])
        #expect(ys[0] == 1 && ys[1] == 1)
        #expect(ys[2] == .infinity && ys[3] == 0)
        #expect(ys[4].isNaN)
        #expect(ys[5].isFinite && ys[6] == .infinity && ys[7] == .infinity)
        #expect(ys[8] > 0 && ys[9] > 0 && ys[10] == 0)
        #expect(abs(ys[11] - Float(M_E)) <= Float(M_E).ulp)
    }

    @Test func tanhErrorBoundOverTheFloatRange() {
        let xs = floatSweep(stride: 997) + (-2000...2000).map { Float($0) * 0.005 }
        let ys = Vector.tanh(xs)
        var worst = 0.0
        for (x, y) in zip(xs, ys) {
            let e = ulpError(y, Foundation.tanh(Double(x)))
            worst = max(worst, e)
            #expect(e <= 3, "tanh(\(x)) = \(y), libm \(Foundation.tanh(Double(x)))")
        }
        #expect(worst > 0)
    }

    @Test func tanhSpecialValues() {
        let ys = Vector.tanh([0, -0.0, .infinity, -.infinity, .nan, 1e-30, -1e-30, 20, -20, .leastNonzeroMagnitude])
        #expect(ys[0] == 0 && ys[0].sign == .plus)
        #expect(ys[1] == 0 && ys[1].sign == .minus)
        #expect(ys[2] == 1 && ys[3] == -1)
        #expect(ys[4].isNaN)
        #expect(ys[5] == 1e-30 && ys[6] == -1e-30)
        #expect(ys[7] == 1 && ys[8] == -1)
        #expect(ys[9] == .leastNonzeroMagnitude)
    }

    @Test(arguments: [0, 1, 7, 8, 9, 31])
    func kernelsHandleEveryTailLength(count: Int) {
        var rng = SeededRandom(seed: UInt64(count))
        let xs = (0..<count).map { _ in rng.uniform(-5, 5) }
        let t = Vector.tanh(xs), e = Vector.exp(xs)
        #expect(t.count == count && e.count == count)
        for i in 0..<count {
            #expect(ulpError(t[i], Foundation.tanh(Double(xs[i]))) <= 3)
            #expect(ulpError(e[i], Foundation.exp(Double(xs[i]))) <= 2)
        }
        let m = Matrix(rows: 1, cols: count, storage: xs)
        #expect(m.tanh().storage == t && m.exp().storage == e)
    }
}
