import Linalg
import RNN
import Testing

/// The gated cells' backward steps write their gate gradients in any combination of forms
/// in one pass (floats, bf16 bits, column sums, rows added into a token table): each
/// form, alone or with the others, is exactly what the floats give (the bits as
/// `BFloat16.round` rounds them, the sums and the table rows as row-by-row float adds
/// onto what they held, a padding token's row in no table row), and what the step carries
/// to the step before (the LSTM's `dc`, the GRU's `dh_prev`) is the same in every
/// combination. In the kernel variant the process runs (CI runs each).
struct GateKernelFormsTests {
    static let (rows, H, V) = (4, 37, 3)  // 37: a vector tail in every variant
    static let tokens: [Int32] = [2, -1, 0, 2]  // a padding row, a token twice, token 1 in none

    /// `count` values: activated gates in (0.01, 0.99), with the blocks in `tanhBlocks`
    /// (of `blocks` per row) in (-0.98, 0.98).
    static func gates(_ rng: inout SeededRandom, blocks: Int, tanhBlocks: Set<Int>) -> [Float] {
        (0..<(rows * blocks * H)).map { index in
            let u = Float.random(in: 0.01..<0.99, using: &rng)
            return tanhBlocks.contains((index % (blocks * H)) / H) ? 2 * u - 1 : u
        }
    }

    static func normals(_ count: Int, _ rng: inout SeededRandom) -> [Float] { (0..<count).map { _ in rng.normal() } }

    /// An output of a step: its values, handed to the kernel or not (`pointer(if:)`).
    final class Output<Element> {
        let values: UnsafeMutableBufferPointer<Element>
        init(_ initial: [Element]) {
            values = .allocate(capacity: initial.count)
            _ = values.initialize(from: initial)
        }
        deinit { values.deallocate() }
        func pointer(if given: Bool) -> UnsafeMutablePointer<Element>? { given ? values.baseAddress! : nil }
        var array: [Element] { Array(values) }
    }

    static func rounded(_ x: [Float]) -> [UInt16] {
        var bits = [UInt16](repeating: 0, count: x.count)
        x.withUnsafeBufferPointer { x in
            bits.withUnsafeMutableBufferPointer { BFloat16.round(x.baseAddress!, count: x.count, into: $0.baseAddress!) }
        }
        return bits
    }

    /// `sums` plus the rows of `x` `[rows, width]`, row after row.
    static func summed(_ sums: [Float], _ x: [Float]) -> [Float] {
        var s = sums
        for r in 0..<rows { for j in s.indices { s[j] += x[r * s.count + j] } }
        return s
    }

    /// `table` `[V, width]` plus each row of `x` at its token's row, row after row.
    static func scattered(_ table: [Float], _ x: [Float], width: Int) -> [Float] {
        var t = table
        for r in 0..<rows where tokens[r] >= 0 {
            for j in 0..<width { t[Int(tokens[r]) * width + j] += x[r * width + j] }
        }
        return t
    }

    @Test func everyCombinationOfLSTMFormsMatchesTheFloats() {
        let (rows, H, V, W) = (Self.rows, Self.H, Self.V, 4 * Self.H)
        var rng = SeededRandom(seed: 29)
        let gates = Self.gates(&rng, blocks: 4, tanhBlocks: [2])  // i, f, g, o
        let previousCells = Self.normals(rows * H, &rng)
        let tanhCells = (0..<(rows * H)).map { _ in Float.random(in: -0.99..<0.99, using: &rng) }
        let outputGradient = Self.normals(rows * H, &rng), carried = Self.normals(rows * H, &rng)
        let initialSums = Self.normals(W, &rng), initialTable = Self.normals(V * W, &rng)

        func step(floats: Bool, bits: Bool, sums: Bool, scatter: Bool) -> (
            floats: [Float], bits: [UInt16], sums: [Float], table: [Float], cell: [Float]
        ) {
            let f = Output([Float](repeating: .nan, count: rows * W))
            let b = Output([UInt16](repeating: 0xFFFF, count: rows * W))
            let (s, table, c) = (Output(initialSums), Output(initialTable), Output(carried))
            Self.tokens.withUnsafeBufferPointer { tokens in
                GateKernels.lstmBackwardStep(
                    gates: gates, previousCells: previousCells, tanhCells: tanhCells, outputGradient: outputGradient,
                    gateGradient: f.pointer(if: floats), gateGradientBits: b.pointer(if: bits),
                    gateGradientSums: s.pointer(if: sums), tokens: scatter ? tokens.baseAddress! : nil,
                    tokenTable: table.pointer(if: scatter), cellGradient: c.values.baseAddress!, rows: rows, hidden: H)
            }
            return (f.array, b.array, s.array, table.array, c.array)
        }

        let reference = step(floats: true, bits: false, sums: false, scatter: false)
        #expect(reference.floats.allSatisfy(\.isFinite) && reference.cell != carried)
        let bits = Self.rounded(reference.floats), sums = Self.summed(initialSums, reference.floats)
        let table = Self.scattered(initialTable, reference.floats, width: W)
        for mask in 1..<16 {
            let (floats, rounds, sums_, scatter) = (mask & 1 != 0, mask & 2 != 0, mask & 4 != 0, mask & 8 != 0)
            let out = step(floats: floats, bits: rounds, sums: sums_, scatter: scatter)
            let form = "LSTM floats \(floats), bits \(rounds), sums \(sums_), scatter \(scatter)"
            #expect(out.cell == reference.cell, "\(form): the carried cell gradient differs")
            #expect(floats ? out.floats == reference.floats : out.floats.allSatisfy(\.isNaN), "\(form): floats")
            #expect(rounds ? out.bits == bits : out.bits.allSatisfy { $0 == 0xFFFF }, "\(form): bits")
            #expect(sums_ ? out.sums == sums : out.sums == initialSums, "\(form): sums")
            #expect(scatter ? out.table == table : out.table == initialTable, "\(form): token table")
        }
    }

    /// The GRU's two sides: the input side's r, z, n and the hidden side's (its n block
    /// times r), each in every form; the input side's bits apart from the hidden side's.
    @Test func everyCombinationOfGRUFormsMatchesTheFloats() {
        let (rows, H, V, W) = (Self.rows, Self.H, Self.V, 3 * Self.H)
        var rng = SeededRandom(seed: 31)
        let gates = Self.gates(&rng, blocks: 3, tanhBlocks: [2])  // r, z, n
        let hiddenN = Self.normals(rows * H, &rng), previousStates = Self.normals(rows * H, &rng)
        let outputGradient = Self.normals(rows * H, &rng), carried = Self.normals(rows * H, &rng)
        let initialSums = Self.normals(2 * W, &rng), initialTable = Self.normals(V * W, &rng)

        struct Out {
            var input: [Float], hidden: [Float], inputBits: [UInt16], hiddenBits: [UInt16]
            var sums: [Float], table: [Float], previous: [Float]
        }
        func step(floats: Bool, hiddenBits: Bool, inputBits: Bool, sums: Bool, scatter: Bool) -> Out {
            let nan = [Float](repeating: .nan, count: rows * W), none = [UInt16](repeating: 0xFFFF, count: rows * W)
            let (di, dg, bi, bg) = (Output(nan), Output(nan), Output(none), Output(none))
            let (s, table, previous) = (Output(initialSums), Output(initialTable), Output(carried))
            Self.tokens.withUnsafeBufferPointer { tokens in
                GateKernels.gruBackwardStep(
                    gates: gates, hiddenN: hiddenN, previousStates: previousStates, outputGradient: outputGradient,
                    inputSideGradient: di.pointer(if: floats), hiddenSideGradient: dg.pointer(if: floats),
                    inputSideBits: bi.pointer(if: inputBits), hiddenSideBits: bg.pointer(if: hiddenBits),
                    inputSideSums: s.pointer(if: sums), hiddenSideSums: s.pointer(if: sums).map { $0 + W },
                    tokens: scatter ? tokens.baseAddress! : nil, tokenTable: table.pointer(if: scatter),
                    previousStateGradient: previous.values.baseAddress!, rows: rows, hidden: H)
            }
            return Out(
                input: di.array, hidden: dg.array, inputBits: bi.array, hiddenBits: bg.array, sums: s.array,
                table: table.array, previous: previous.array)
        }

        let reference = step(floats: true, hiddenBits: false, inputBits: false, sums: false, scatter: false)
        #expect(reference.input.allSatisfy(\.isFinite) && reference.previous != carried)
        #expect(reference.input != reference.hidden, "the n blocks of the two sides are the same")
        let inputBits = Self.rounded(reference.input), hiddenBits = Self.rounded(reference.hidden)
        let sums =
            Self.summed(Array(initialSums[..<W]), reference.input) + Self.summed(Array(initialSums[W...]), reference.hidden)
        let table = Self.scattered(initialTable, reference.input, width: W)
        for mask in 1..<32 {
            let (floats, hidden, input) = (mask & 1 != 0, mask & 2 != 0, mask & 4 != 0)
            let (sums_, scatter) = (mask & 8 != 0, mask & 16 != 0)
            let out = step(floats: floats, hiddenBits: hidden, inputBits: input, sums: sums_, scatter: scatter)
            let form = "GRU floats \(floats), hidden bits \(hidden), input bits \(input), sums \(sums_), scatter \(scatter)"
            #expect(out.previous == reference.previous, "\(form): d(h_prev) differs")
            #expect(
                floats
                    ? out.input == reference.input && out.hidden == reference.hidden
                    : (out.input + out.hidden).allSatisfy(\.isNaN), "\(form): floats")
            #expect(hidden ? out.hiddenBits == hiddenBits : out.hiddenBits.allSatisfy { $0 == 0xFFFF }, "\(form): hidden bits")
            #expect(input ? out.inputBits == inputBits : out.inputBits.allSatisfy { $0 == 0xFFFF }, "\(form): input bits")
            #expect(sums_ ? out.sums == sums : out.sums == initialSums, "\(form): sums")
            #expect(scatter ? out.table == table : out.table == initialTable, "\(form): token table")
        }
    }
}
