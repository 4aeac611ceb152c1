import Foundation
import _ToolSupport

/// Training progress on stderr: on a terminal one line updated in place (epoch,
/// step/total, loss, validation loss, tokens/s, ETA); otherwise plain lines about ten
/// times per epoch; nothing with `--quiet`. Epoch summaries always get their own line.
final class ProgressReporter {
    enum Mode { case terminal, lines, quiet }

    let mode: Mode
    /// The step number training stops at.
    let targetStep: Int
    /// The epoch count training stops at (nil when `--steps` bounds the run).
    let targetEpochs: Int?
    let stepsPerEpoch: Int
    private let lineInterval: Int
    private let startStep: Int
    private let startTime = now()
    private var lastDraw = -1.0
    private var lineVisible = false
    private var epochLossSum = 0.0, epochSteps = 0
    private var windowTokens = 0, windowSeconds = 0.0
    private var rate = Double.nan
    /// Shown as `val` on progress lines (the last epoch's validation loss).
    var lastValidationLoss: Double?
    /// What the bits of a validation loss are per: `char`, `byte` or `word`.
    var unitName = "char"

    init(mode: Mode, startStep: Int, targetStep: Int, targetEpochs: Int?, stepsPerEpoch: Int) {
        self.mode = mode
        self.startStep = startStep
        self.targetStep = targetStep
        self.targetEpochs = targetEpochs
        self.stepsPerEpoch = stepsPerEpoch
        lineInterval = max(1, (stepsPerEpoch + 9) / 10)
    }

    /// Records a finished step (`step` counted from 1, in epoch `epoch` counted from 0).
    func stepDone(step: Int, epoch: Int, stepInEpoch: Int, loss: Double, tokens: Int, seconds: Double) {
        if stepInEpoch == 1 { epochLossSum = 0; epochSteps = 0 }
        epochLossSum += loss
        epochSteps += 1
        windowTokens += tokens
        windowSeconds += seconds
        switch mode {
        case .quiet:
            return
        case .terminal:
            let t = now()
            guard t - lastDraw >= 0.1 || step == targetStep else { return }
            lastDraw = t
            updateRate()
            Console.writeError("\r" + line(step: step, epoch: epoch, stepInEpoch: stepInEpoch) + "\u{1B}[K")
            lineVisible = true
        case .lines:
            guard stepInEpoch % lineInterval == 0 || step == targetStep || step == startStep + 1 else { return }
            updateRate()
            Console.note(line(step: step, epoch: epoch, stepInEpoch: stepInEpoch))
        }
    }

    private func updateRate() {
        if windowSeconds > 0 { rate = Double(windowTokens) / windowSeconds }
        windowTokens = 0
        windowSeconds = 0
    }

    /// Mean train loss of the current epoch so far.
    var epochMeanLoss: Double { epochSteps > 0 ? epochLossSum / Double(epochSteps) : .nan }

    private func line(step: Int, epoch: Int, stepInEpoch: Int) -> String {
        var parts: [String] = []
        if let targetEpochs {
            parts.append("epoch \(epoch + 1)/\(targetEpochs)")
        } else {
            parts.append("epoch \(epoch + 1)")
        }
        parts.append("step \(Format.count(step))/\(Format.count(targetStep))")
        parts.append("loss \(Format.loss(epochMeanLoss))")
        if let v = lastValidationLoss { parts.append("val \(Format.loss(v))") }
        parts.append("\(Format.rate(rate)) tok/s")
        let done = step - startStep
        if done > 0 && step < targetStep {
            let perStep = (now() - startTime) / Double(done)
            parts.append("ETA \(Format.duration(perStep * Double(targetStep - step)))")
        }
        return parts.joined(separator: "  ")
    }

    /// Prints the summary of a finished epoch (0-based `epoch`) on its own line.
    func epochDone(epoch: Int, validationLoss: Double?, seconds: Double, tokensPerSecond: Double, note: String) {
        if let validationLoss { lastValidationLoss = validationLoss }
        guard mode != .quiet else { return }
        var text =
            "epoch \(epoch + 1)\(targetEpochs.map { "/\($0)" } ?? "") done in \(Format.duration(seconds)): mean train loss \(Format.loss(epochMeanLoss))"
        if let validationLoss {
            text += ", val loss \(Format.loss(validationLoss)) (\(Format.bits(validationLoss, per: unitName)))"
        }
        text += ", \(Format.rate(tokensPerSecond)) tok/s"
        if !note.isEmpty { text += "; \(note)" }
        message(text)
    }

    /// Prints a diagnostic line on stderr, clearing the in-place line first.
    func message(_ text: String) {
        guard mode != .quiet else { return }
        clear()
        Console.note(text)
    }

    /// Erases the in-place progress line (before other output reaches the terminal).
    func clear() {
        if lineVisible {
            Console.writeError("\r\u{1B}[K")
            lineVisible = false
        }
    }
}
