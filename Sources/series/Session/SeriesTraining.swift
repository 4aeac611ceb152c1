import RNN
import RNNTraining
import _ToolSupport

/// `trainStoppably` as both of series' tasks run it, in `--precision`: series' stop notes,
/// and the command that continues a stopped run on the same `csv`.
func trainSeries<Model: SequenceModel, Source: BatchSource>(
    _ trainer: Trainer<Model>, on source: Source, epochs: Int, precision: PrecisionOptions, csv: String, checkpoint: String,
    save: () throws -> Void, onEvent: (TrainingEvent) throws -> Void
) throws where Source.Batch == Model.Batch {
    try precision.apply(to: trainer.model)
    try trainStoppably(
        trainer, on: source, epochs: epochs, tool: "series", notes: .series,
        continueCommand: "series train --csv \(csv) --resume \(checkpoint) --epochs \(epochs) --checkpoint \(checkpoint)",
        checkpoint: checkpoint, save: save, onEvent: onEvent)
}
