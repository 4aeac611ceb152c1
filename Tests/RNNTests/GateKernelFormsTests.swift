import Linalg
import RNN
import Testing

/// The LSTM backward step writes its gate gradients in any of four forms in one pass
/// (floats, bf16 bits, column sums, rows added into a token table): each form, alone or
/// with the others, is exactly what the floats give (the bits as `BFloat16.round` rounds
/// them, the sums and the table rows as row-by-row float adds onto what they held, a
/// padding token's row in no table row), and the carried cell gradient is the same in
/// every combination. In the kernel variant the process runs (CI runs each).
struct GateKernelFormsTests {
    @Test func everyCombinationOfFormsMatchesTheFloats() {
        var rng = SeededRandom(seed: 29)
        let (rows, H, V) = (4, 37, 3)  // 37: a vector tail in every variant
        let tokens: [Int32] = [2, -1, 0, 2]  // a padding row, a token twice, token 1 in none
        // Activated gates: i, f, o in (0, 1), g in (-1, 1); tanh(c) in (-1, 1).
        let gates = (0..<(rows * 4 * H)).map { index -> Float in
            let block = (index % (4 * H)) / H
            let u = Float.random(in: 0.01..<0.99, using: &rng)
            return block == 2 ? 2 * u - 1 : u
        }
        let previousCells = (0..<(rows * H)).map { _ in rng.normal() }
        let tanhCells = (0..<(rows * H)).map { _ in Float.random(in: -0.99..<0.99, using: &rng) }
        let outputGradient = (0..<(rows * H)).map { _ in rng.normal() }
        let carried = (0..<(rows * H)).map { _ in rng.normal() }
        let initialSums = (0..<(4 * H)).map { _ in rng.normal() }
        let initialTable = (0..<(V * 4 * H)).map { _ in rng.normal() }

        typealias Forms = (floats: [Float], bits: [UInt16], sums: [Float], table: [Float], cell: [Float])
        func step(floats: Bool, bits: Bool, sums: Bool, scatter: Bool) -> Forms {
            var f = [Float](repeating: .nan, count: rows * 4 * H), b = [UInt16](repeating: 0xFFFF, count: rows * 4 * H)
            var s = initialSums, table = initialTable, c = carried
            f.withUnsafeMutableBufferPointer { f in
                b.withUnsafeMutableBufferPointer { b in
                    s.withUnsafeMutableBufferPointer { s in
                        table.withUnsafeMutableBufferPointer { table in
                            c.withUnsafeMutableBufferPointer { c in
                                tokens.withUnsafeBufferPointer { tokens in
                                    GateKernels.lstmBackwardStep(
                                        gates: gates, previousCells: previousCells, tanhCells: tanhCells,
                                        outputGradient: outputGradient, gateGradient: floats ? f.baseAddress! : nil,
                                        gateGradientBits: bits ? b.baseAddress! : nil,
                                        gateGradientSums: sums ? s.baseAddress! : nil,
                                        tokens: scatter ? tokens.baseAddress! : nil,
                                        tokenTable: scatter ? table.baseAddress! : nil, cellGradient: c.baseAddress!,
                                        rows: rows, hidden: H)
                                }
                            }
                        }
                    }
                }
            }
            return (f, b, s, table, c)
        }

        let reference = step(floats: true, bits: false, sums: false, scatter: false)
        #expect(reference.floats.allSatisfy(\.isFinite) && reference.cell != carried)
        var roundedBits = [UInt16](repeating: 0, count: rows * 4 * H)
        reference.floats.withUnsafeBufferPointer { x in
            roundedBits.withUnsafeMutableBufferPointer { BFloat16.round(x.baseAddress!, count: rows * 4 * H, into: $0.baseAddress!) }
        }
        var (summed, scattered) = (initialSums, initialTable)
        for r in 0..<rows {
            for j in 0..<(4 * H) {
                summed[j] += reference.floats[r * 4 * H + j]
                if tokens[r] >= 0 { scattered[Int(tokens[r]) * 4 * H + j] += reference.floats[r * 4 * H + j] }
            }
        }

        for mask in 1..<16 {
            let (floats, bits, sums, scatter) = (mask & 1 != 0, mask & 2 != 0, mask & 4 != 0, mask & 8 != 0)
            let out = step(floats: floats, bits: bits, sums: sums, scatter: scatter)
            let form = "floats \(floats), bits \(bits), sums \(sums), scatter \(scatter)"
            #expect(out.cell == reference.cell, "\(form): the carried cell gradient differs")
            #expect(floats ? out.floats == reference.floats : out.floats.allSatisfy(\.isNaN), "\(form): floats")
            #expect(bits ? out.bits == roundedBits : out.bits.allSatisfy { $0 == 0xFFFF }, "\(form): bits")
            #expect(sums ? out.sums == summed : out.sums == initialSums, "\(form): sums")
            #expect(scatter ? out.table == scattered : out.table == initialTable, "\(form): token table")
        }
    }
}
