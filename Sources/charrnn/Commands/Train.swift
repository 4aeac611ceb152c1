import ArgumentParser
import RNN
import _ToolSupport

extension CharRNN {
    /// `charrnn train`: the built-in example, or a `--data` run (see `TrainingSession`).
    struct Train: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Train a character-level RNN, GRU or LSTM on a text file (without --data: the built-in example).",
            discussion: """
                Without --data this trains the built-in example (the tutorial's vanilla tanh
                RNN) in about a second and prints the loss every 10 epochs and the greedy
                completions of "good", "hey" and "have".

                With --data FILE the text is split into --batch-size parallel streams and
                trained with --seq-length steps of truncated backpropagation through time,
                carrying the hidden state from chunk to chunk; the last --val-fraction of
                the text gives a validation loss after every epoch. --cell picks the
                recurrent layers: rnn (vanilla, as PyTorch's nn.RNN), gru (nn.GRU) or lstm
                (nn.LSTM, whose carried state is both h and c). The checkpoint is saved
                after every epoch, at the end, and on Ctrl-C; --resume continues exactly
                where a checkpoint stopped.

                Examples:
                  charrnn train
                  charrnn train --data input.txt --history loss.csv --plot loss.svg
                  charrnn train --data input.txt --cell lstm --checkpoint lstm.safetensors
                  charrnn train --data input.txt --hidden-size 512 --epochs 20
                  charrnn train --resume lstm.safetensors --epochs 30
                """
        )

        @OptionGroup(title: "Data") var dataOptions: DataOptions
        @OptionGroup(title: "Model") var modelOptions: ModelOptions
        @OptionGroup(title: "Optimization") var optimization: OptimizationOptions
        @OptionGroup(title: "Checkpoints") var checkpoints: CheckpointOptions
        @OptionGroup(title: "Output") var reporting: ReportingOptions
        @OptionGroup var runtime: RuntimeOptions
        @OptionGroup var precisionOptions: PrecisionOptions
        @OptionGroup(title: "Distributed") var distributedOptions: DistributedOptions

        /// Without `--data` and `--resume`, the built-in example runs.
        var isExample: Bool { dataOptions.data == nil && checkpoints.resume == nil }

        func validate() throws {
            if isExample && distributedOptions.distributed {
                throw CLIError(
                    "--distributed trains a --data run (or a --resume) across MPI ranks, not the built-in example: give --data FILE")
            }
            if isExample { try ExampleRun.rejectInapplicableOptions(self) }
        }

        func run() throws {
            runtime.apply()
            if isExample {
                try ExampleRun(command: self).run()
            } else if distributedOptions.distributed {
                try DistributedRun(command: self).run()
            } else {
                let config = try TrainingConfiguration(self)
                // Held until the run ends: a second run into the same checkpoint stops at once.
                let lock = try CheckpointLock(for: config.checkpointPath, option: "--checkpoint")
                try withExtendedLifetime(lock) {
                    let session = try TrainingSession(config)
                    try session.run()
                }
            }
        }
    }
}
