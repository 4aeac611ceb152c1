/// A reusable, manually managed `Float` buffer for activations and scratch space.
///
/// It grows when asked for more than it holds and never shrinks, so a training loop
/// with a fixed `(B, T)` allocates only on its first step. Pointers into it stay
/// valid until the next `resize` that grows it.
final class FloatBuffer {
    private(set) var pointer: UnsafeMutablePointer<Float>
    private(set) var count = 0
    private var capacity = 0

    init(count: Int = 0) {
        pointer = .allocate(capacity: max(count, 1))
        capacity = max(count, 1)
        self.count = count
        pointer.initialize(repeating: 0, count: capacity)
    }

    deinit { pointer.deallocate() }

    /// Makes the buffer hold `newCount` elements; contents are unspecified afterwards
    /// unless the buffer did not grow.
    func resize(_ newCount: Int) {
        if newCount > capacity {
            pointer.deallocate()
            capacity = newCount
            pointer = .allocate(capacity: capacity)
            pointer.initialize(repeating: 0, count: capacity)
        }
        count = newCount
    }

    func zero() { pointer.update(repeating: 0, count: count) }

    var buffer: UnsafeMutableBufferPointer<Float> { UnsafeMutableBufferPointer(start: pointer, count: count) }

    var array: [Float] { Array(UnsafeBufferPointer(start: pointer, count: count)) }

    func copy(from source: [Float]) {
        resize(source.count)
        source.withUnsafeBufferPointer { pointer.update(from: $0.baseAddress!, count: source.count) }
    }
}
