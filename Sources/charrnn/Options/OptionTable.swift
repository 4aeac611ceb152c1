import RNN
import _ToolSupport

/// An integer option of `charrnn train`: its flag, the values it allows and its defaults.
struct IntegerOption {
    let flag: String
    let range: ClosedRange<Int>
    /// The default of a `--data` run and of the built-in example (nil: no default).
    let textDefault: Int?
    let exampleDefault: Int?

    /// Refuses a value outside `range`, naming the flag and the range.
    func check(_ value: Int) throws { try Check.range(value, range, flag) }

    /// A value a checkpoint stored, if it is one this option allows.
    func parse(_ text: String) -> Int? { Int(text).flatMap { range.contains($0) ? $0 : nil } }

    /// "(default: 64)", or "(default: 256; the built-in example: 12)".
    var defaultNote: String { OptionTable.defaultNote(textDefault.map(String.init), exampleDefault.map(String.init)) }
}

/// A real-valued option: finite, above (or from) `minimum`, at most `maximum`.
struct RealOption {
    let flag: String
    let allowZero: Bool
    let maximum: Double
    let textDefault: Double
    let exampleDefault: Double
    /// What the value means, appended to a refusal.
    var meaning = ""

    func check(_ value: Double) throws {
        try Check.positive(Float(value), flag, allowZero: allowZero, maximum: Float(maximum), meaning: meaning)
    }

    /// Whether the option allows `value`.
    func allows(_ value: Double) -> Bool { value.isFinite && (value > 0 || (allowZero && value == 0)) && value <= maximum }

    /// A value a checkpoint stored, if it is one this option allows.
    func parse(_ text: String) -> Double? { Double(text).flatMap { allows($0) ? $0 : nil } }

    /// As `parse`, read as a `Float` directly (the value written from a `Float`, bit for bit).
    func parseFloat(_ text: String) -> Float? { Float(text).flatMap { allows(Double($0)) ? $0 : nil } }

    var defaultNote: String {
        OptionTable.defaultNote(Format.number(Float(textDefault)), Format.number(Float(exampleDefault)))
    }
}

/// The ranges and defaults of `charrnn train`'s options, stated once: the options'
/// checks, their help texts, the values read back from a resumed checkpoint and the
/// built-in example's settings all come from here.
///
/// The built-in example's defaults are the tutorial's: one layer of 12 units, Adam at
/// 0.01, 100 epochs of the full batch (its three sentences: 3 streams of 14 steps), no
/// clipping, no validation.
enum OptionTable {
    static let seqLength = IntegerOption(flag: "--seq-length", range: 1...100_000, textDefault: 64, exampleDefault: 14)
    static let batchSize = IntegerOption(flag: "--batch-size", range: 1...65_536, textDefault: 32, exampleDefault: 3)
    static let hiddenSize = IntegerOption(flag: "--hidden-size", range: 1...16_384, textDefault: 256, exampleDefault: 12)
    static let numLayers = IntegerOption(flag: "--num-layers", range: 1...64, textDefault: 2, exampleDefault: 1)
    static let embeddingSize = IntegerOption(flag: "--embedding-size", range: 0...16_384, textDefault: 0, exampleDefault: 0)
    static let epochs = IntegerOption(flag: "--epochs", range: 1...1_000_000, textDefault: 10, exampleDefault: 100)
    static let steps = IntegerOption(flag: "--steps", range: 1...1_000_000_000, textDefault: nil, exampleDefault: nil)
    static let sampleLength = IntegerOption(flag: "--sample-length", range: 1...1_000_000, textDefault: 200, exampleDefault: 15)
    static let threads = IntegerOption(flag: "--threads", range: 1...1024, textDefault: nil, exampleDefault: nil)

    static let learningRate = RealOption(
        flag: "--lr", allowZero: false, maximum: .greatestFiniteMagnitude,
        textDefault: 2e-3, exampleDefault: 0.01)
    static let learningRateDecay = RealOption(
        flag: "--lr-decay", allowZero: false, maximum: 1, textDefault: 1, exampleDefault: 1,
        meaning: " (the factor applied to the learning rate after each epoch)")
    static let clip = RealOption(
        flag: "--clip", allowZero: true, maximum: .greatestFiniteMagnitude, textDefault: 5,
        exampleDefault: 0, meaning: " (0 turns clipping off)")
    /// `--weight-decay`: its default depends on the optimizer (0.01 for adamw, as PyTorch's; else 0).
    static let weightDecay = RealOption(flag: "--weight-decay", allowZero: true, maximum: 10, textDefault: 0, exampleDefault: 0)
    static func defaultWeightDecay(_ optimizer: OptimizerKind) -> Float { optimizer == .adamw ? 0.01 : 0 }
    static let earlyStop = IntegerOption(flag: "--early-stop", range: 1...10_000, textDefault: nil, exampleDefault: nil)
    /// `--dropout`: a probability below 1 (1 would drop everything).
    static let dropout = RealOption(
        flag: "--dropout", allowZero: true, maximum: 0.99, textDefault: 0, exampleDefault: 0,
        meaning: " (the probability of dropping each activation in training)")
    static let valFraction = RealOption(flag: "--val-fraction", allowZero: true, maximum: 0.5, textDefault: 0.05, exampleDefault: 0)

    static let seed: UInt64 = 0
    static let sampleTemperature: Float = 0.8
    /// The most predictions (`--seq-length × --batch-size`) one step may hold.
    static let maximumChunkRows = 1 << 22

    static func defaultNote(_ text: String?, _ example: String?) -> String {
        guard let text else { return "" }
        return example == nil || example == text ? " (default: \(text))" : " (default: \(text); the built-in example: \(example!))"
    }
}
