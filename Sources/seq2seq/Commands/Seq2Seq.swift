import ArgumentParser
import _ToolSupport

/// `seq2seq`: encoder-decoder models (attention, beam search) trained on pairs of texts.
@main
struct Seq2Seq: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "seq2seq",
        abstract: "Train encoder-decoder models with attention on pairs of texts, translate with beam search, and evaluate.",
        discussion: """
            A pairs file has one pair per line: the source, a tab, the target (UTF-8).
              python3 scripts/make_date_pairs.py --count 20000 --seed 0 --output dates.tsv
              python3 scripts/make_date_pairs.py --count 2000 --seed 1 --output dates-test.tsv
              seq2seq train --pairs dates.tsv --checkpoint dates.safetensors
              echo "the third of march, 2019" | seq2seq translate --checkpoint dates.safetensors
              seq2seq eval --checkpoint dates.safetensors --pairs dates-test.tsv --json
            Checkpoints are safetensors files (ModelCheckpoint of an EncoderDecoderModel) with
            both sides' vocabularies and the run's settings in their metadata.
            """,
        version: "0.1.0",
        subcommands: [Train.self, Translate.self, Eval.self, Export.self]
    )

    static func main() {
        InterruptHandler.prepare()  // before any thread starts: see its notes on oneDNN
        runReportingErrors()
    }
}
