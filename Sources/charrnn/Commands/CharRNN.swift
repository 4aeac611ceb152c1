import ArgumentParser
import Foundation
import _ToolSupport

/// `charrnn`: train character-level RNNs, GRUs and LSTMs on the CPU, sample from them, evaluate them.
@main
struct CharRNN: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "charrnn",
        abstract: "Train character-level RNNs, GRUs and LSTMs on the CPU, sample text from them, and evaluate them.",
        discussion: """
            Start with the built-in example (a few seconds):
              charrnn train
            Then train on your own UTF-8 text and sample from the result:
              charrnn train --data input.txt --checkpoint model.safetensors
              charrnn sample --checkpoint model.safetensors --prime "The " --length 500
              charrnn eval --checkpoint model.safetensors --data held-out.txt
              charrnn export --checkpoint model.safetensors --onnx model.onnx   (ONNX Runtime)
            --cell rnn|gru|lstm chooses the recurrent cell (default: the vanilla RNN):
              charrnn train --data input.txt --cell lstm --checkpoint lstm.safetensors
            Checkpoints are safetensors files with the state_dict names of PyTorch's
            nn.RNN, nn.GRU or nn.LSTM + nn.Linear (see scripts/load_checkpoint_pytorch.py);
            sample and eval read the cell from the checkpoint.
            """,
        version: "0.1.0",
        subcommands: [Train.self, Sample.self, Eval.self, Diagnose.self, Export.self]
    )

    /// Runs the command; every error becomes one `error: ...` line on stderr and a
    /// non-zero exit status (never a backtrace).
    static func main() {
        InterruptHandler.prepare()  // before any thread starts: see its notes on oneDNN
        runReportingErrors()
    }
}
