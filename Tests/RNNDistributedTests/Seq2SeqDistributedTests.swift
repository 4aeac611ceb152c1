import Foundation
import RNN
import RNNTraining
import Testing
import ToolTesting

/// `mpirun -np 2 seq2seq train --distributed` against one process: the same weights up to
/// float rounding when the batches are whole; the checkpoint resumes in one process.
@Suite(.enabled(if: MPIRun.skipReason == nil, Comment(rawValue: MPIRun.skipReason ?? "")))
struct Seq2SeqDistributedTests {
    /// 100 pairs "letters<TAB>reversed": 96 train (3 whole batches of 32), 4 validate.
    static func pairs() -> String {
        var state: UInt64 = 7
        func next(_ n: Int) -> Int {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int((state >> 33) % UInt64(n))
        }
        return (0..<100).map { _ in
            let letters = (0..<(2 + next(4))).map { _ in String(Array("abcd")[next(4)]) }
            return "\(letters.joined(separator: " "))\t\(letters.reversed().joined(separator: " "))\n"
        }.joined()
    }

    static let options = [
        "train", "--pairs", "p.tsv", "--val-fraction", "0.04", "--batch-size", "32", "--hidden-size", "16", "--epochs", "2",
        "--seed", "5", "--threads", "1",
    ]

    static func weights(_ path: String) throws -> [Float] {
        try ModelCheckpoint<EncoderDecoderModel>.read(path: path).model.parameters.values.array
    }

    @Test(.precision(.fp32)) func twoRanksTrainWhatOneProcessTrains() throws {
        try withTemporaryDirectory { dir in
            _ = try write(Self.pairs(), to: "p.tsv", in: dir)
            let one = try ToolProcess.run(Self.options + ["--checkpoint", "one.safetensors"], in: dir, tool: .seq2seq)
            #expect(one.status == 0, "\(one)")
            let two = try MPIRun.run(
                ranks: 2, "seq2seq", Self.options + ["--checkpoint", "two.safetensors", "--distributed"], in: dir, timeout: 120)
            #expect(two.status == 0, "\(two)")
            #expect(
                two.stderr.contains("distributed: 2 ranks (mpirun), each training 16 of the 32 pairs of a batch"), "\(two.stderr)")
            #expect(two.stderr.components(separatedBy: "epoch 2/2: train loss").count == 2, "rank 0 alone reports: \(two.stderr)")
            #expect(two.stdout.components(separatedBy: "saved two.safetensors").count == 2, "\(two.stdout)")
            let a = try Self.weights(dir + "/one.safetensors"), b = try Self.weights(dir + "/two.safetensors")
            let worst = zip(a, b).map { abs($0 - $1) }.max() ?? .infinity
            #expect(a.count == b.count && worst <= 1e-4, "worst difference \(worst)")
            // The distributed checkpoint resumes in one process.
            let more = try ToolProcess.run(
                ["train", "--pairs", "p.tsv", "--resume", "two.safetensors", "--epochs", "3", "--checkpoint", "three.safetensors"],
                in: dir, tool: .seq2seq)
            #expect(more.status == 0 && more.stderr.contains("resuming 'two.safetensors' after epoch 2"), "\(more)")
        }
    }

    @Test func distributedNeedsMPIRun() throws {
        try withTemporaryDirectory { dir in
            _ = try write(Self.pairs(), to: "p.tsv", in: dir)
            let alone = try ToolProcess.run(Self.options + ["--checkpoint", "c.safetensors", "--distributed"], in: dir, tool: .seq2seq)
            #expect(alone.status == 1 && alone.stderr.hasPrefix("error: --distributed needs an MPI launcher"), "\(alone)")
            let many = try MPIRun.run(
                ranks: 3, "seq2seq", Self.options + ["--checkpoint", "c.safetensors", "--distributed", "--batch-size", "2"], in: dir)
            #expect(many.status == 1 && many.stderr.contains("--distributed with 3 ranks needs at least one pair per rank"), "\(many)")
            #expect(many.stderr.components(separatedBy: "error:").count == 2, "printed once: \(many.stderr)")
        }
    }
}
