import Linalg

/// One named tensor inside a `ParameterStore`'s flat buffer.
public struct TensorSlot: Sendable, Equatable {
    /// The PyTorch `state_dict` name, e.g. `rnn.weight_hh_l0`.
    public let name: String
    /// PyTorch shape, e.g. `[H, H]`.
    public let shape: [Int]
    /// First element in the flat buffer.
    public let offset: Int
    /// Number of elements (the product of `shape`).
    public var count: Int { shape.reduce(1, *) }
    /// The element range in the flat buffer.
    public var range: Range<Int> { offset..<offset + count }
}

/// A `Float` buffer whose elements can change but whose size cannot: the slots of a
/// `ParameterStore` index into it, so only the store grows it (when a tensor registers).
/// A random-access, mutable collection with Array's pointer access.
public struct ParameterBuffer: RandomAccessCollection, MutableCollection, Equatable, Sendable {
    fileprivate var storage: [Float]

    fileprivate init(_ storage: [Float] = []) { self.storage = storage }

    public var startIndex: Int { 0 }
    public var endIndex: Int { storage.count }

    public subscript(position: Int) -> Float {
        get { storage[position] }
        set { storage[position] = newValue }
    }

    /// Calls `body` with the elements' storage.
    public func withUnsafeBufferPointer<R>(_ body: (UnsafeBufferPointer<Float>) throws -> R) rethrows -> R {
        try storage.withUnsafeBufferPointer(body)
    }

    /// Calls `body` with the elements' storage to change them in place (not to resize).
    public mutating func withUnsafeMutableBufferPointer<R>(_ body: (UnsafeMutableBufferPointer<Float>) throws -> R) rethrows -> R {
        try storage.withUnsafeMutableBufferPointer { try body($0) }
    }

    /// Replaces every element; `values.count` must equal `count`.
    public mutating func assign(_ values: [Float]) {
        precondition(values.count == storage.count, "\(values.count) values for a buffer of \(storage.count)")
        storage = values
    }

    /// Replaces the elements in `range` with as many `values`.
    mutating func replace<C: Collection<Float>>(_ range: Range<Int>, with values: C) {
        precondition(values.count == range.count, "\(values.count) values for \(range.count) elements")
        storage.replaceSubrange(range, with: values)
    }

    /// The elements as an array (a copy).
    public var array: [Float] { storage }
}

/// All parameters of a model in **one contiguous buffer**, with gradients of the same
/// layout, so zeroing, global-norm clipping and optimizer updates are each one pass.
///
/// Layers register their tensors under PyTorch's names and keep the offsets:
/// ```swift
/// let store = ParameterStore()
/// let rnn = ElmanRNN(inputSize: 17, hiddenSize: 12, parameters: store, prefix: "rnn.")
/// let fc = Linear(inputSize: 12, outputSize: 17, parameters: store, prefix: "fc.")
/// store.values.count   // all weights and biases of both layers
/// ```
public final class ParameterStore {
    /// Registered tensors in registration order.
    public private(set) var slots: [TensorSlot] = []
    /// `slots`' positions by name, for O(1) lookup.
    private var slotIndex: [String: Int] = [:]
    /// Every parameter value, laid out as `slots` say (values change, the size does not).
    /// Any change advances `version`.
    public var values = ParameterBuffer() {
        didSet { version &+= 1 }
    }
    /// Changes whenever `values` may have changed (every write through `values`, in place
    /// or whole): what weights prepared for inference (`RecurrentStack`'s transposed
    /// `W_hh`, its token projection table) are checked against, so they are made again
    /// only after the parameters change.
    public private(set) var version: UInt64 = 0
    /// d(loss)/d(values), same layout. Backward passes **accumulate** into it.
    public var gradients = ParameterBuffer()

    public init() {}

    /// Total number of scalars.
    public var count: Int { values.count }

    /// Registers a zero tensor and returns its slot. Names must be unique.
    @discardableResult
    public func register(_ name: String, shape: [Int]) -> TensorSlot {
        precondition(slot(named: name) == nil, "Parameter \(name) is already registered")
        precondition(shape.allSatisfy { $0 >= 0 }, "Parameter \(name) has a negative dimension: \(shape)")
        let slot = TensorSlot(name: name, shape: shape, offset: values.count)
        slotIndex[name] = slots.count
        slots.append(slot)
        values.storage.append(contentsOf: repeatElement(0, count: slot.count))
        gradients.storage.append(contentsOf: repeatElement(0, count: slot.count))
        return slot
    }

    /// The slot called `name`, if any. - Complexity: O(1).
    public func slot(named name: String) -> TensorSlot? {
        slotIndex[name].map { slots[$0] }
    }

    /// The values of tensor `name` (a copy), row-major in its PyTorch shape.
    public func tensor(_ name: String) -> [Float] {
        guard let s = slot(named: name) else { preconditionFailure("No parameter named \(name)") }
        return Array(values[s.range])
    }

    /// The gradient of tensor `name` (a copy).
    public func gradient(_ name: String) -> [Float] {
        guard let s = slot(named: name) else { preconditionFailure("No parameter named \(name)") }
        return Array(gradients[s.range])
    }

    /// Replaces the values of tensor `name`; the element count must match.
    public func setTensor(_ name: String, _ newValues: [Float]) {
        guard let s = slot(named: name) else { preconditionFailure("No parameter named \(name)") }
        precondition(
            newValues.count == s.count,
            "Parameter \(name) \(s.shape) has \(s.count) elements, got \(newValues.count)")
        values.replace(s.range, with: newValues)
    }

    /// Sets every gradient to zero. - Complexity: O(count).
    public func zeroGradients() {
        gradients.withUnsafeMutableBufferPointer { g in
            g.update(repeating: 0)
        }
    }
}
