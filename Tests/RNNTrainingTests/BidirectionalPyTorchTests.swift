import Foundation
import Linalg
import RNN
import RNNTraining
import SafeTensors
import Testing
import ToolTesting

/// Checks, where PyTorch is installed, that a bidirectional classifier's checkpoint is
/// `nn.RNN/GRU/LSTM(bidirectional=True)` + `nn.Linear` on `cat(h_n[-2], h_n[-1])`
/// (`scripts/bidirectional_pytorch.py`): `load_state_dict(strict=True)`, the outputs, `h_n`
/// (and `c_n`) and logits of a padded batch under `pack_padded_sequence` within 1e-5 of
/// the Swift model's, each sequence alone equal to the packed batch, and PyTorch's own
/// `save_file` of a fresh model read back by `ModelCheckpoint` with PyTorch's logits.
@Suite struct BidirectionalPyTorchTests {
    @Test(
        .precision(.fp32),
        .enabled(if: TorchPython.path != nil, Comment(rawValue: TorchPython.skipReason)),
        arguments: [(RecurrentCell.rnn, Nonlinearity.relu), (.rnn, .tanh), (.gru, .tanh), (.lstm, .tanh)])
    func classifierLoadsIntoTorchAndBack(cell: RecurrentCell, nonlinearity: Nonlinearity) throws {
        var rng = SeededRandom(seed: 12)
        let (I, H, L, O, B, T) = (5, 6, 2, 3, 4, 6)
        let lengths = [6, 3, 1, 5]
        let model = ManyToOneModel(
            .init(
                inputSize: I, outputSize: O,
                recurrent: .init(
                    cell: cell, hiddenSize: H, numLayers: L, nonlinearity: nonlinearity,
                    bidirectional: true)), using: &rng)
        var x = Matrix.random(T * B, I, using: &rng)
        for r in 0..<(T * B) where r / B >= lengths[r % B] { for i in 0..<I { x.storage[r * I + i] = 0 } }  // padding
        let batch = ManyToOneModel.Batch(input: .dense(x), labels: [0, 2, 1, 1], batchSize: B, lengths: lengths)
        let trainer = Trainer(model: model, optimizer: Adam(learningRate: 0.05))
        for _ in 0..<3 { try trainer.step(batch) }  // weights away from their initialization

        let logits = model.forward(.dense(x), batchSize: B, lengths: lengths)
        let outputs = model.rnn.outputs.storage, state = model.rnn.finalState()
        let blocks = L * 2, half = blocks * B * H
        var tensors: [String: SafeTensorsFile.Tensor] = [
            "input": .init(shape: [T * B, I], values: x.storage),
            "lengths": .init(shape: [B], values: lengths.map(Float.init)),
            "outputs": .init(shape: [T * B, 2 * H], values: outputs),
            "h_n": .init(shape: [blocks, B, H], values: Array(state[0..<half])),
            "logits": .init(shape: [B, O], values: logits.storage),
        ]
        if cell == .lstm { tensors["c_n"] = .init(shape: [blocks, B, H], values: Array(state[half...])) }

        try withTemporaryDirectory { dir in
            try ModelCheckpoint(
                model: model, optimizer: OptimizerState(capturing: trainer.optimizer),
                training: trainer.trainingState(rngState: rng.state)
            ).write(path: dir + "/m.safetensors")
            try SafeTensorsFile(tensors: tensors).write(path: dir + "/batch.safetensors")
            let (status, text) = try TorchPython.run(
                "bidirectional_pytorch.py",
                ["m.safetensors", "batch.safetensors", "--export", "t.safetensors"], in: dir)
            #expect(status == 0, "\(text)")
            #expect(text.contains("bidirectional=True") && text.contains("load_state_dict(strict=True): \(L * 8 + 2) tensors"), "\(text)")
            #expect(text.contains("each sequence alone vs pack_padded_sequence") && text.hasSuffix("OK\n"), "\(text)")

            let exported = try ModelCheckpoint<ManyToOneModel>.read(path: dir + "/t.safetensors")
            #expect(exported.model.configuration == model.configuration)
            let torchLogits = try SafeTensorsFile.read(path: dir + "/t.logits.safetensors").tensors["logits"]!.values
            let mine = exported.model.forward(.dense(x), batchSize: B, lengths: lengths).storage
            let worst = zip(mine, torchLogits).map { abs($0 - $1) }.max()!
            #expect(worst <= 1e-5, "PyTorch's model read back: logits differ by \(worst)")
            #expect(exported.model.parameters.values != model.parameters.values)  // really PyTorch's weights
        }
    }
}
