import Linalg

// Each model's precision is its layers': every recurrent stack and linear layer it runs.

extension Precision {
    /// Sets `precision` on each of `stacks` and `layers`, after checking it once.
    static func apply(
        _ precision: Precision, stacks: [RecurrentStack], layers: [Linear]
    ) throws(PrecisionError) {
        try precision.check()
        for stack in stacks { try stack.setPrecision(precision) }
        for layer in layers { try layer.setPrecision(precision) }
    }
}

extension ManyToManyModel {
    public var precision: Precision { rnn.precision }
    public func setPrecision(_ precision: Precision) throws(PrecisionError) {
        try Precision.apply(precision, stacks: [rnn], layers: [fc])
    }
}

extension ManyToOneModel {
    public var precision: Precision { rnn.precision }
    public func setPrecision(_ precision: Precision) throws(PrecisionError) {
        try Precision.apply(precision, stacks: [rnn], layers: [fc])
    }
}

extension OneToManyModel {
    public var precision: Precision { rnn.precision }
    public func setPrecision(_ precision: Precision) throws(PrecisionError) {
        try Precision.apply(precision, stacks: [rnn], layers: [initial, fc])
    }
}

extension EncoderDecoderModel {
    public var precision: Precision { decoder.precision }
    public func setPrecision(_ precision: Precision) throws(PrecisionError) {
        try Precision.apply(precision, stacks: [encoder, decoder], layers: [fc] + (bridge?.parts ?? []) + (attention?.layers ?? []))
    }
}
