import Foundation
import Linalg
import RNN
import Testing
import ToolTesting

/// The encoder-decoder with attention: finite-difference gradients through every score,
/// masks and uneven lengths; padding that changes nothing; PyTorch parity.
struct AttentionTests {
    /// A batch of `B` sources of `lengths` (padded with -1 to the longest) and targets of
    /// `Tt` steps whose sequence `b` ends after `targetLengths[b]` tokens.
    static func batch(
        _ rng: inout SeededRandom, sourceVocabulary Vs: Int, targetVocabulary Vt: Int, lengths: [Int], steps Tt: Int,
        targetLengths: [Int], padTo: Int? = nil
    ) -> EncoderDecoderModel.Batch {
        let B = lengths.count, Ts = padTo ?? lengths.max()!
        let source = (0..<(Ts * B)).map { r in r / B < lengths[r % B] ? Int32(rng.index(below: Vs)) : -1 }
        // Targets avoid the start token (Vt - 2); the end token is Vt - 1.
        let targets = (0..<(Tt * B)).map { r -> Int32 in
            let (t, b) = (r / B, r % B)
            return t < targetLengths[b] - 1 ? Int32(rng.index(below: Vt - 2)) : t == targetLengths[b] - 1 ? Int32(Vt - 1) : -1
        }
        return EncoderDecoderModel.Batch(source: source, sourceLengths: lengths, targets: targets, batchSize: B)
    }

    static func model(
        _ score: AttentionScore?, cell: RecurrentCell, layers: Int = 1, bidirectional: Bool = false, hidden H: Int = 4,
        Vs: Int = 5, Vt: Int = 6, feeding: Bool = false, seed: UInt64
    ) -> EncoderDecoderModel {
        var rng = SeededRandom(seed: seed)
        return EncoderDecoderModel(
            .init(
                sourceVocabularySize: Vs, targetVocabularySize: Vt, startToken: Int32(Vt - 2), endToken: Int32(Vt - 1),
                recurrent: .init(cell: cell, hiddenSize: H, numLayers: layers), bidirectionalEncoder: bidirectional,
                attention: score, inputFeeding: feeding), using: &rng)
    }

    static let cases: [(AttentionScore, RecurrentCell, Bool)] = [
        (.dot, .gru, false), (.general, .lstm, false), (.additive, .rnn, false), (.general, .gru, true),
        (.additive, .lstm, true), (.dot, .lstm, false),
    ]

    @Test(.precision(.fp32), arguments: cases)
    func finiteDifferencesThroughEveryScore(_ score: AttentionScore, _ cell: RecurrentCell, _ bidirectional: Bool) {
        let model = Self.model(score, cell: cell, layers: 2, bidirectional: bidirectional, seed: 7)
        var rng = SeededRandom(seed: 8)
        let batch = Self.batch(&rng, sourceVocabulary: 5, targetVocabulary: 6, lengths: [4, 2, 3], steps: 3, targetLengths: [3, 2, 1])
        model.computeGradients(batch)
        let bad = GradientCheck().checkParameters(model.parameters) { model.loss(batch) }
        for name in model.parameters.slots.map(\.name) where name.hasPrefix("attention.") || name.hasPrefix("encoder.weight_ih") {
            #expect(model.parameters.gradient(name).contains { $0 != 0 }, "\(name) has no gradient")
        }
        #expect(bad.isEmpty, "\(bad.count) mismatches, first: \(bad.prefix(5))")
    }

    /// Input feeding: the stepwise decoder's gradients, through every score and cell.
    @Test(
        .precision(.fp32), arguments: [(AttentionScore.general, RecurrentCell.lstm, false), (.additive, .gru, true), (.dot, .rnn, false)])
    func finiteDifferencesWithInputFeeding(_ score: AttentionScore, _ cell: RecurrentCell, _ bidirectional: Bool) {
        let model = Self.model(score, cell: cell, layers: 2, bidirectional: bidirectional, feeding: true, seed: 17)
        #expect(model.configuration.inputFeeding && model.parameters.tensor("decoder.weight_ih_l0").count == cell.gateCount * 4 * (6 + 4))
        var rng = SeededRandom(seed: 18)
        let batch = Self.batch(&rng, sourceVocabulary: 5, targetVocabulary: 6, lengths: [4, 2, 3], steps: 3, targetLengths: [3, 2, 1])
        model.computeGradients(batch)
        let bad = GradientCheck().checkParameters(model.parameters) { model.loss(batch) }
        #expect(bad.isEmpty, "\(bad.count) mismatches, first: \(bad.prefix(5))")
        let weights = model.attentionWeights(batch)!
        #expect(weights.count == 3 && weights[1].allSatisfy { $0.count == 2 && abs($0.reduce(0, +) - 1) < 1e-5 })
    }

    /// A source padded past its length (in a batch of one) gives the loss and gradients of
    /// the source alone: the mask hides the padded positions from the scores.
    @Test(.precision(.fp32), arguments: AttentionScore.allCases, [false, true])
    func paddingChangesNothing(_ score: AttentionScore, _ bidirectional: Bool) {
        guard !(score == .dot && bidirectional) else { return }
        let model = Self.model(score, cell: .gru, bidirectional: bidirectional, seed: 11)
        var rng = SeededRandom(seed: 12)
        let alone = Self.batch(&rng, sourceVocabulary: 5, targetVocabulary: 6, lengths: [3], steps: 4, targetLengths: [4])
        var padded = alone
        padded.source += [-1, -1, -1]
        let loss = model.computeGradients(alone)
        let gradients = model.parameters.gradients.array
        let paddedLoss = model.computeGradients(padded)
        #expect(abs(loss - paddedLoss) <= 1e-6 * max(1, abs(loss)), "\(loss) vs \(paddedLoss)")
        let worst = zip(gradients, model.parameters.gradients.array).map { abs($0 - $1) }.max()!
        #expect(worst <= 1e-6, "gradients differ by \(worst)")
        // Sources of other lengths in the same batch change nothing either.
        var other = SeededRandom(seed: 13)
        let neighbour = Self.batch(&other, sourceVocabulary: 5, targetVocabulary: 6, lengths: [6], steps: 4, targetLengths: [2])
        var both = EncoderDecoderModel.Batch()
        both.batchSize = 2
        both.sourceLengths = [3, 6]
        both.source = (0..<12).map { r in r % 2 == 0 ? (r / 2 < 3 ? alone.source[r / 2] : -1) : neighbour.source[r / 2] }
        both.targets = (0..<8).map { r in r % 2 == 0 ? alone.targets[r / 2] : -1 }
        #expect(abs(model.loss(both) - loss) <= 1e-5 * max(1, abs(loss)))
        let weights = model.attentionWeights(both)!
        #expect(weights[0].allSatisfy { $0.count == 3 && abs($0.reduce(0, +) - 1) < 1e-5 })
        #expect(weights[1].allSatisfy { $0.count == 6 })
    }

    @Test func dotWithBidirectionalEncoderIsAProblem() {
        let c = EncoderDecoderModel.Configuration(
            sourceVocabularySize: 5, targetVocabularySize: 6, startToken: 4, endToken: 5,
            recurrent: .init(cell: .gru, hiddenSize: 4), bidirectionalEncoder: false, attention: .dot)
        var bidirectional = c
        bidirectional.bidirectionalEncoder = true
        #expect(c.problem == nil)
        #expect(bidirectional.problem?.contains("general or additive") == true)
        #expect(c.parameterShapes.map(\.name).contains("attention.combine.weight"))
    }

    /// The configuration round-trips through JSON, and one without attention (an older
    /// checkpoint's) decodes to `attention == nil`.
    @Test func configurationCoding() throws {
        let c = EncoderDecoderModel.Configuration(
            sourceVocabularySize: 5, targetVocabularySize: 6, startToken: 4, endToken: 5,
            recurrent: .init(cell: .lstm, hiddenSize: 4), bidirectionalEncoder: true, attention: .additive)
        let decoded = try JSONDecoder().decode(EncoderDecoderModel.Configuration.self, from: JSONEncoder().encode(c))
        #expect(decoded == c)
        var plain = c
        plain.attention = nil
        let json = String(decoding: try JSONEncoder().encode(plain), as: UTF8.self)
        #expect(!json.contains("attention"))
        #expect(try JSONDecoder().decode(EncoderDecoderModel.Configuration.self, from: Data(json.utf8)).attention == nil)
        #expect(!json.contains("inputFeeding"))
        var feeding = c
        feeding.inputFeeding = true
        #expect(try JSONDecoder().decode(EncoderDecoderModel.Configuration.self, from: JSONEncoder().encode(feeding)) == feeding)
        plain.inputFeeding = true
        #expect(plain.problem?.contains("needs an attention score") == true)
    }

    /// The loss and every gradient against PyTorch (float64) for each score, GRU and
    /// LSTM, uneven lengths, a bidirectional encoder: within 1e-5.
    @Test(
        .precision(.fp32), .enabled(if: TorchPython.path != nil, Comment(rawValue: TorchPython.skipReason)),
        arguments: [
            (AttentionScore.dot, RecurrentCell.gru, false, false), (.general, .lstm, true, false), (.additive, .gru, true, false),
            (.general, .lstm, false, true), (.additive, .gru, true, true),
        ])
    func pytorchParity(_ score: AttentionScore, _ cell: RecurrentCell, _ bidirectional: Bool, _ feeding: Bool) throws {
        let model = Self.model(
            score, cell: cell, layers: 2, bidirectional: bidirectional, hidden: 5, Vs: 7, Vt: 8, feeding: feeding, seed: 21)
        var rng = SeededRandom(seed: 22)
        let batch = Self.batch(&rng, sourceVocabulary: 7, targetVocabulary: 8, lengths: [5, 2, 4], steps: 4, targetLengths: [4, 2, 3])
        let loss = model.computeGradients(batch)
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("attention-parity-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let slots = model.parameters.slots
        let input: [String: Any] = [
            "score": score.rawValue, "cell": cell.rawValue, "layers": 2, "hidden": 5, "bidirectional": bidirectional,
            "source": batch.source.map(Int.init), "lengths": batch.sourceLengths, "targets": batch.targets.map(Int.init),
            "batch": batch.batchSize, "start": 6, "feed": feeding,
            "names": slots.map(\.name), "shapes": slots.map(\.shape),
            "values": slots.map { model.parameters.tensor($0.name).map(Double.init) },
        ]
        try JSONSerialization.data(withJSONObject: input).write(to: directory.appendingPathComponent("in.json"))
        try Self.reference.write(to: directory.appendingPathComponent("reference.py"), atomically: true, encoding: .utf8)
        let (status, output) = try TorchPython.oracle.run(file: "reference.py", in: directory.path)
        try #require(status == 0, "reference.py failed: \(output)")
        let out = try JSONSerialization.jsonObject(with: Data(contentsOf: directory.appendingPathComponent("out.json"))) as! [String: Any]
        let torchLoss = out["loss"] as! Double
        #expect(abs(torchLoss - loss) <= 1e-5, "loss \(loss), PyTorch \(torchLoss)")
        let gradients = out["gradients"] as! [String: [Double]]
        for slot in slots {
            let ours = model.parameters.gradient(slot.name), theirs = try #require(gradients[slot.name], "\(slot.name)")
            let worst = zip(ours, theirs).map { abs(Double($0) - $1) }.max() ?? 0
            #expect(worst <= 1e-5, "\(slot.name): worst difference \(worst)")
        }
    }

    /// The PyTorch model of `EncoderDecoderModel` with attention, in float64: `nn.GRU` /
    /// `nn.LSTM` on one-hot input (padding -1 reads zeros), the encoder packed by length.
    static let reference = #"""
        import json, torch, torch.nn as nn, torch.nn.functional as F
        torch.set_default_dtype(torch.float64)
        a = json.load(open("in.json"))
        H, L, B, bi = a["hidden"], a["layers"], a["batch"], a["bidirectional"]
        params = {n: torch.tensor(v).reshape(s).requires_grad_() for n, v, s in zip(a["names"], a["values"], a["shapes"])}
        Vs = params["encoder.weight_ih_l0"].shape[1]; Vt = params["fc.weight"].shape[0]
        cls = nn.GRU if a["cell"] == "gru" else nn.LSTM if a["cell"] == "lstm" else nn.RNN
        feed = a["feed"]
        enc = cls(Vs, H, L, bidirectional=bi); dec = cls(Vt + (H if feed else 0), H, L)
        with torch.no_grad():
            for prefix, m in (("encoder.", enc), ("decoder.", dec)):
                for name, p in m.named_parameters(): p.copy_(params[prefix + name])
        def onehot(t, V):
            t = torch.tensor(t)
            return torch.where((t >= 0)[..., None], F.one_hot(t.clamp(min=0), V).double(), torch.zeros(()))
        lengths = torch.tensor(a["lengths"]); src = torch.tensor(a["source"]).reshape(-1, B); Ts = src.shape[0]
        tgt = torch.tensor(a["targets"]).reshape(-1, B); Tt = tgt.shape[0]
        packed = nn.utils.rnn.pack_padded_sequence(onehot(src, Vs), lengths, enforce_sorted=False)
        out, state = enc(packed)
        E, _ = nn.utils.rnn.pad_packed_sequence(out, total_length=Ts)        # [Ts, B, M]
        def bridge(s, prefix):                                                 # [2L, B, H] -> [L, B, H]
            if not bi: return s
            joined = torch.cat([s[0::2], s[1::2]], dim=2)
            return joined @ params[prefix + "weight"].T + params[prefix + "bias"]
        if a["cell"] == "lstm": state = (bridge(state[0], "bridge."), bridge(state[1], "bridge_cell."))
        else: state = bridge(state, "bridge.")
        inputs = torch.cat([torch.full((1, B), a["start"]), tgt[:-1]])
        Eb = E.transpose(0, 1)                                                # [B, Ts, M]
        def attend(Db):                                                       # [B, t, H] -> h~ [B, t, H]
            if a["score"] == "dot": S = Db @ Eb.transpose(1, 2)
            elif a["score"] == "general": S = Db @ (Eb @ params["attention.weight"].T).transpose(1, 2)
            else:
                q = Db @ params["attention.query.weight"].T + params["attention.query.bias"]
                k = Eb @ params["attention.key.weight"].T
                S = (torch.tanh(q[:, :, None, :] + k[:, None, :, :]) @ params["attention.v.weight"].T)[..., 0]
            mask = torch.arange(Ts)[None, None, :] >= lengths[:, None, None]
            alpha = torch.softmax(S.masked_fill(mask, float("-inf")), dim=2)
            C = alpha @ Eb                                                     # [B, t, M]
            return torch.tanh(torch.cat([C, Db], dim=2) @ params["attention.combine.weight"].T)
        if not feed:
            D, _ = dec(onehot(inputs, Vt), state)                             # [Tt, B, H]
            Ht = attend(D.transpose(0, 1))
        else:                                                                  # Luong's input feeding, a step at a time
            previous, steps = torch.zeros(B, H), []
            for t in range(Tt):
                x = torch.cat([onehot(inputs[t:t + 1], Vt)[0], previous], dim=1)[None]
                D, state = dec(x, state)
                previous = attend(D.transpose(0, 1))[:, 0]
                steps.append(previous)
            Ht = torch.stack(steps, dim=1)                                     # [B, Tt, H]
        logits = Ht @ params["fc.weight"].T + params["fc.bias"]
        loss = F.cross_entropy(logits.transpose(0, 1).reshape(-1, Vt), tgt.reshape(-1), ignore_index=-1)
        loss.backward()
        grads = {n: p.grad for n, p in params.items() if p.grad is not None}
        for prefix, m in (("encoder.", enc), ("decoder.", dec)):
            grads.update({prefix + n: p.grad for n, p in m.named_parameters()})
        json.dump({"loss": loss.item(), "gradients": {n: g.reshape(-1).tolist() for n, g in grads.items()}}, open("out.json", "w"))
        """#
}
