import Linalg
import RNN
import RNNTraining
import SafeTensors
import Testing
import ToolTesting

/// Reading checks what it will read before it allocates: the header alone first, the
/// tensors chosen, their bytes against a budget — so a valid file with a giant tensor (a
/// hole in a sparse file) is refused or skipped, never loaded.
struct CheckpointReadBudgetTests {
    static let giant = [1_000_000_000_000]  // 4 TB of F32

    @Test func theGenericReaderTakesABudgetAndAChoice() throws {
        try withTemporaryFile { path in
            try SafeTensorsFile(tensors: ["a": .init(shape: [3], values: [1, 2, 3])], metadata: ["k": "v"]).write(path: path)
            try addSparseTensor("junk", shape: Self.giant, to: path)
            let header = try SafeTensorsFile.readHeader(path: path)
            #expect(header.metadata == ["k": "v"] && header.shapes == ["a": [3], "junk": Self.giant])
            // All of it: more than this machine's memory, refused before anything is read.
            #expect(
                throws: SafeTensorsError.exceedsByteBudget(
                    bytes: 12 + 4_000_000_000_000, budget: SafeTensorsFile.defaultByteBudget,
                    largest: "junk", largestShape: Self.giant)
            ) {
                try SafeTensorsFile.read(path: path)
            }
            let chosen = try SafeTensorsFile.read(path: path, byteBudget: 12) { name, _ in name != "junk" }
            #expect(chosen.tensors == ["a": .init(shape: [3], values: [1, 2, 3])] && chosen.metadata == ["k": "v"])
            #expect(throws: SafeTensorsError.exceedsByteBudget(bytes: 12, budget: 11, largest: "a", largestShape: [3])) {
                try SafeTensorsFile.read(path: path, byteBudget: 11) { name, _ in name != "junk" }
            }
        }
    }

    /// A model checkpoint with a giant extra tensor: refused by the budget when every
    /// extra is kept (the default), read without it when the caller keeps none; a giant
    /// tensor under the model's prefix is refused by name from the header, unread.
    @Test func aModelCheckpointWithAGiantTensor() throws {
        var rng = SeededRandom(seed: 3)
        let model = ManyToOneModel(.init(inputSize: 5, outputSize: 3, recurrent: .init(cell: .gru, hiddenSize: 4)), using: &rng)
        try withTemporaryFile { path in
            try ModelCheckpoint(model: model, tensors: ["mine": .init(shape: [2], values: [7, 8])]).write(path: path)
            try addSparseTensor("junk", shape: Self.giant, to: path)
            #expect {
                try ModelCheckpoint<ManyToOneModel>.read(path: path)
            } throws: { error in
                guard case .exceedsByteBudget(_, _, "junk", _) = error as? SafeTensorsError else { return false }
                return true
            }
            let loaded = try ModelCheckpoint<ManyToOneModel>.read(path: path) { $0 == "mine" }
            #expect(loaded.tensors == ["mine": .init(shape: [2], values: [7, 8])])
            #expect(loaded.model.parameters.values == model.parameters.values)

            try ModelCheckpoint(model: model).write(path: path)
            try addSparseTensor("rnn.weight_ih_l7", shape: Self.giant, to: path)
            #expect(throws: CheckpointError.unexpectedTensor("rnn.weight_ih_l7", because: model.configuration.summary)) {
                try ModelCheckpoint<ManyToOneModel>.read(path: path) { _ in false }
            }
        }
    }
}

/// Reading one kind of checkpoint with the other kind's reader names the right reader.
struct CheckpointKindTests {
    @Test func theWrongReaderNamesTheRightOne() throws {
        var rng = SeededRandom(seed: 4)
        let vocabulary = Vocabulary(text: "abc")
        let model = ManyToManyModel(.init(inputSize: 3, outputSize: 3, recurrent: .init(cell: .rnn, hiddenSize: 4)), using: &rng)
        try withTemporaryFile { path in
            try ModelCheckpoint(model: model).write(path: path)
            #expect {
                try Checkpoint.read(path: path)
            } throws: { "\($0)".contains("read it with ModelCheckpoint<Model>.read") }
            try Checkpoint(model: model, vocabulary: vocabulary).write(path: path)
            #expect {
                try ModelCheckpoint<ManyToManyModel>.read(path: path)
            } throws: { "\($0)".contains("read it with Checkpoint.read") }
        }
    }
}
