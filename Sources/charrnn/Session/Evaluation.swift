import RNN

/// Mean cross-entropy of a model over token streams, carrying the hidden state across
/// each stream's chunks (no gradients).
enum Evaluation {
    /// The mean loss in nats per prediction and the number of predictions.
    static func meanLoss(model: ManyToManyModel, streams: TokenStreams) -> (loss: Double, count: Int) {
        var inputs: [Int32] = [], targets: [Int32] = []
        var state: [Float]? = nil
        var total = 0.0, count = 0
        for c in 0..<streams.chunkCount {
            let T = streams.fill(chunk: c, inputs: &inputs, targets: &targets)
            let loss = model.loss(.tokens(inputs), targets: targets, batchSize: streams.batchSize, initialState: state)
            state = model.rnn.finalState()
            total += loss * Double(T * streams.batchSize)
            count += T * streams.batchSize
        }
        return (count > 0 ? total / Double(count) : .nan, count)
    }
}
