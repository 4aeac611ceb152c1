import Linalg

/// The activation of a vanilla RNN layer, as `torch.nn.RNN(nonlinearity:)`.
public enum Nonlinearity: String, Sendable, CaseIterable, Codable {
    case tanh
    case relu

    /// `x = act(x)` in place over `count` elements (vectorized).
    func apply(_ x: UnsafeMutablePointer<Float>, count: Int) {
        switch self {
        case .tanh: Vector.tanh(x, into: x, count: count)
        case .relu: Vector.relu(x, count: count)
        }
    }

    /// `grad *= act'(pre)` expressed through the stored output `y = act(pre)`.
    func multiplyByDerivative(_ grad: UnsafeMutablePointer<Float>, output y: UnsafePointer<Float>, count: Int) {
        switch self {
        case .tanh: Vector.multiplyByTanhDerivative(grad, output: y, count: count)
        case .relu: Vector.multiplyByReluDerivative(grad, output: y, count: count)
        }
    }
}
