import Linalg
import RNN

/// Central finite differences against an analytic gradient.
///
/// Tolerance: the loss is computed in Float, so each evaluation carries a relative
/// rounding error of roughly 1e-6 (sums of a few hundred Float terms). With step
/// `eps = 1e-2` the difference quotient has noise ~1e-6 / 2e-2 = 5e-5 and a truncation
/// error O(eps²·f''') ~ 1e-4; we accept `|num - ana| <= 2e-3 + 2e-2·|ana|`, well above
/// both and far below the size of any real mistake (a missing term is O(|ana|)).
///
/// A ReLU has kinks: where a perturbation moves a pre-activation across 0, the central
/// difference mixes two slopes. With `kinks`, an element whose central difference misses
/// is accepted when the analytic gradient matches one of the one-sided differences (the
/// slope on one side of the kink, the subgradient the backward pass took), so the check
/// stays exact away from kinks and still fails a wrong gradient at one.
struct GradientCheck {
    var eps: Float = 1e-2
    var absoluteTolerance: Double = 2e-3
    var relativeTolerance: Double = 2e-2
    var kinks = false

    struct Mismatch: CustomStringConvertible {
        let name: String, index: Int, numeric: Double, analytic: Double
        var description: String { "\(name)[\(index)]: numeric \(numeric), analytic \(analytic)" }
    }

    /// Checks every element of `values` (perturbed through `set`) against `analytic`.
    func check(
        name: String, count: Int, analytic: [Float], get: (Int) -> Float, set: (Int, Float) -> Void,
        loss: () -> Double
    ) -> [Mismatch] {
        var bad: [Mismatch] = []
        for i in 0..<count {
            let x = get(i)
            set(i, x + eps)
            let up = loss()
            set(i, x - eps)
            let down = loss()
            set(i, x)
            let numeric = (up - down) / (2 * Double(eps))
            let a = Double(analytic[i])
            func matches(_ n: Double) -> Bool { abs(n - a) <= absoluteTolerance + relativeTolerance * abs(a) }
            if matches(numeric) { continue }
            if kinks {
                let here = loss()
                if matches((up - here) / Double(eps)) || matches((here - down) / Double(eps)) { continue }
            }
            bad.append(Mismatch(name: name, index: i, numeric: numeric, analytic: a))
        }
        return bad
    }

    /// Checks every parameter of `store` against `store.gradients` as they are now.
    func checkParameters(_ store: ParameterStore, loss: () -> Double) -> [Mismatch] {
        let analytic = store.gradients
        var bad: [Mismatch] = []
        for slot in store.slots {
            bad += check(
                name: slot.name, count: slot.count, analytic: Array(analytic[slot.range]),
                get: { store.values[slot.offset + $0] },
                set: { store.values[slot.offset + $0] = $1 }, loss: loss)
        }
        return bad
    }
}
