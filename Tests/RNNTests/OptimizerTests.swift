import Foundation
import Linalg
import RNN
import Testing

/// A one-parameter store with value `p`, for hand-computed optimizer steps.
func scalarStore(_ p: Float) -> ParameterStore {
    let s = ParameterStore()
    s.register("p", shape: [1])
    s.values[0] = p
    return s
}

func steps(_ optimizer: Optimizer, from p: Float, gradients: [Float]) -> [Float] {
    let s = scalarStore(p)
    return gradients.map { g in
        s.gradients[0] = g
        optimizer.step(s)
        return s.values[0]
    }
}

func close(_ a: [Float], _ b: [Double], _ tol: Double = 1e-6) -> Bool {
    a.count == b.count && zip(a, b).allSatisfy { abs(Double($0) - $1) <= tol * max(1, abs($1)) }
}

struct OptimizerTests {
    @Test func adamWithConstantGradientMovesByTheLearningRate() {
        // With bias correction, m̂ = g and v̂ = g², so every step is lr·g/|g| = lr.
        #expect(close(steps(Adam(learningRate: 0.1), from: 1, gradients: [0.5, 0.5, 0.5]), [0.9, 0.8, 0.7], 1e-5))
    }

    /// AdamW decays the parameter before Adam's step, and leaves the moments alone:
    /// with weight decay 0 it is Adam; with a zero gradient it only shrinks p.
    @Test func adamWDecouplesTheWeightDecay() {
        #expect(
            steps(AdamW(learningRate: 0.1, weightDecay: 0), from: 1, gradients: [1, -2])
                == steps(Adam(learningRate: 0.1), from: 1, gradients: [1, -2]))
        // p = 1·(1 − 0.1·0.5) = 0.95, then Adam's step on g = 1 (m̂ = 1, v̂ = 1): 0.95 − 0.1 = 0.85.
        #expect(close(steps(AdamW(learningRate: 0.1, weightDecay: 0.5), from: 1, gradients: [1]), [0.85], 1e-6))
        // Hand-computed two steps (g = 1 then −2, lr 0.1, decay 0.5): t=1 as above, 0.85;
        // t=2: p = 0.85·0.95 = 0.8075, then + 0.1·0.578947/1.581376 (Adam's second step) = 0.844110.
        #expect(close(steps(AdamW(learningRate: 0.1, weightDecay: 0.5), from: 1, gradients: [1, -2]), [0.85, 0.844110], 2e-6))
        // torch.optim.AdamW([p], lr=0.1, weight_decay=0.5) from p = 1, gradients 1, −2, 0.5, 0
        // (PyTorch 2.15.0): 0.8500000, 0.8441104, 0.8155739, 0.7859921.
        #expect(
            close(
                steps(AdamW(learningRate: 0.1, weightDecay: 0.5), from: 1, gradients: [1, -2, 0.5, 0]),
                [0.85, 0.8441104, 0.8155739, 0.7859921], 2e-6))
        // Against L2 (Adam's weight_decay): a zero gradient gives Adam a nonzero step, AdamW none.
        #expect(close(steps(AdamW(learningRate: 0.1, weightDecay: 0.5), from: 1, gradients: [0]), [0.95], 1e-6))
        #expect(makeOptimizer(named: "adamw", learningRate: 0.1)?.name == "adamw")
        #expect((makeOptimizer(named: "adamw", learningRate: 0.1) as? AdamW)?.weightDecay == 0.01)
    }

    @Test func adamMatchesHandComputedSteps() {
        // Gradients 1 then -2, lr 0.1, betas (0.9, 0.999):
        // t=1: m=0.1, v=0.001, m̂=1, v̂=1 -> p = 1 - 0.1·1/(1+1e-8) = 0.9
        // t=2: m=0.09-0.2=-0.11, v=0.000999+0.004=0.004999, m̂=-0.11/0.19=-0.578947,
        //      v̂=0.004999/0.001999=2.500750, p = 0.9 + 0.1·0.578947/1.581376 = 0.936610
        #expect(close(steps(Adam(learningRate: 0.1), from: 1, gradients: [1, -2]), [0.9, 0.936610], 2e-6))
        // Weight decay is added to the gradient (L2, not AdamW): g = 0 + 0.5·p.
        #expect(close(steps(Adam(learningRate: 0.1, weightDecay: 0.5), from: 1, gradients: [0]), [0.9], 1e-6))
    }

    /// The vectorized update (1,003 parameters: full 8-lane blocks and a tail) gives the
    /// same bits as the scalar formula, step after step, with and without weight decay.
    @Test(arguments: [Float(0), 0.01])
    func adamVectorLoopEqualsTheScalarFormula(weightDecay: Float) {
        var rng = SeededRandom(seed: 96)
        let n = 1003
        let store = ParameterStore()
        store.register("w", shape: [n])
        store.values.assign((0..<n).map { _ in rng.uniform(-1, 1) })
        let (lr, b1, b2, eps): (Float, Float, Float, Float) = (0.003, 0.8, 0.99, 1e-6)
        let adam = Adam(learningRate: lr, beta1: b1, beta2: b2, epsilon: eps, weightDecay: weightDecay)
        var p = store.values, m = [Float](repeating: 0, count: n), v = m
        for t in 1...3 {
            let g = (0..<n).map { i in i % 97 == 0 ? 0 : rng.uniform(-2, 2) }
            store.gradients.assign(g)
            adam.step(store)
            // Bias corrections in Double, from the Float hyperparameters, as Adam does.
            let stepSize = Float(Double(lr) / (1 - pow(Double(b1), Double(t))))
            let bc2Sqrt = Float((1 - pow(Double(b2), Double(t))).squareRoot())
            for i in 0..<n {
                let gi = g[i] + weightDecay * p[i]
                m[i] = b1 * m[i] + (1 - b1) * gi
                v[i] = b2 * v[i] + (1 - b2) * gi * gi
                p[i] -= stepSize * m[i] / (v[i].squareRoot() / bc2Sqrt + eps)
            }
            let differing = zip(store.values, p).filter { $0.bitPattern != $1.bitPattern }.count
            #expect(differing == 0, "step \(t): \(differing) of \(n) values differ from the scalar formula")
        }
    }

    @Test func sgdVariants() {
        #expect(close(steps(SGD(learningRate: 0.1), from: 1, gradients: [1, 2]), [0.9, 0.7]))
        #expect(close(steps(SGD(learningRate: 0.1, momentum: 0.9), from: 1, gradients: [1, 1, 1]), [0.9, 0.71, 0.439]))
        #expect(close(steps(SGD(learningRate: 0.1, momentum: 0.9, nesterov: true), from: 1, gradients: [1, 1]), [0.81, 0.539]))
        #expect(close(steps(SGD(learningRate: 0.1, momentum: 0.9, dampening: 0.5), from: 1, gradients: [1, 1]), [0.9, 0.76]))
        #expect(close(steps(SGD(learningRate: 0.1, weightDecay: 0.1), from: 1, gradients: [1]), [0.89]))
    }

    @Test func adagradAndRMSprop() {
        #expect(close(steps(Adagrad(learningRate: 0.1), from: 0, gradients: [1, 1]), [-0.1, -0.170711]))
        #expect(close(steps(Adagrad(learningRate: 0.1, learningRateDecay: 0.5), from: 0, gradients: [1, 1]), [-0.1, -0.147140]))
        // sq = 0.01 then 0.0199: steps 1/sqrt(0.01)·0.01 = 0.1 and 0.01/0.141067 = 0.070888.
        #expect(close(steps(RMSprop(learningRate: 0.01), from: 0, gradients: [1, 1]), [-0.1, -0.170888], 1e-5))
        // Centered: gavg = 0.01, avg = sqrt(0.01 - 0.0001) = 0.099499 -> step 0.100504.
        #expect(close(steps(RMSprop(learningRate: 0.01, centered: true), from: 0, gradients: [1]), [-0.100504], 1e-5))
        // Momentum 0.5: buf = 10, then 5 + 7.0888 = 12.0888 -> p = -0.1, -0.220888.
        #expect(close(steps(RMSprop(learningRate: 0.01, momentum: 0.5), from: 0, gradients: [1, 1]), [-0.1, -0.220888], 1e-5))
    }

    @Test func stateRoundTripResumesExactly() throws {
        for make in [
            { Adam(learningRate: 0.05) as Optimizer }, { SGD(learningRate: 0.1, momentum: 0.9) },
            { Adagrad(learningRate: 0.1) }, { RMSprop(learningRate: 0.01, momentum: 0.3, centered: true) },
        ] {
            let grads: [Float] = [0.3, -1.2, 0.7, 2.0, -0.4]
            let whole = steps(make(), from: 1, gradients: grads)
            let a = make()
            let first = steps(a, from: 1, gradients: Array(grads[0..<2]))
            let b = make()
            try b.restore(stateBuffers: a.stateBuffers, stepCount: a.stepCount)
            let rest = steps(b, from: first.last!, gradients: Array(grads[2...]))
            #expect(first + rest == whole, "\(a.name)")
        }
        #expect(throws: OptimizerStateError.missingBuffer("exp_avg_sq")) {
            try Adam().restore(stateBuffers: ["exp_avg": [0]], stepCount: 1)
        }
        // A step count that would overflow when counted on (or a negative one) is refused
        // by every optimizer; the bound itself restores.
        for make in [{ Adam() as Optimizer }, { SGD(learningRate: 0.1) }, { Adagrad() }, { RMSprop() }] {
            for bad in [Int.max, -1, OptimizerKind.maximumStepCount + 1] {
                #expect(throws: OptimizerStateError.stepCountOutOfRange(bad)) { try make().restore(stateBuffers: [:], stepCount: bad) }
            }
            let o = make()
            try o.restore(stateBuffers: [:], stepCount: OptimizerKind.maximumStepCount)
            #expect(o.stepCount == OptimizerKind.maximumStepCount, "\(o.name)")
        }
    }

    @Test func makeOptimizerByName() {
        #expect(makeOptimizer(named: "adam", learningRate: 0.1)?.name == "adam")
        #expect(makeOptimizer(named: "rmsprop", learningRate: 0.1)?.learningRate == 0.1)
        #expect(makeOptimizer(named: "lion", learningRate: 0.1) == nil)
    }

    @Test func clippingFollowsTheFormula() {
        let s = ParameterStore()
        s.register("a", shape: [2])
        s.gradients.assign([3, 4])
        #expect(GradientClipping.clipGlobalNorm(s, maxNorm: 10) == 5)
        #expect(s.gradients.array == [3, 4])
        #expect(GradientClipping.clipGlobalNorm(s, maxNorm: 1) == 5)
        let scale = Float(1) / (5 + 1e-6)
        #expect(abs(s.gradients[0] - 3 * scale) < 1e-7 && abs(s.gradients[1] - 4 * scale) < 1e-7)
        s.gradients.assign([.nan, 1])
        #expect(GradientClipping.clipGlobalNorm(s, maxNorm: 1).isNaN)
    }
}
