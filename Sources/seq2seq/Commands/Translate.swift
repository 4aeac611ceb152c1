import ArgumentParser
import Foundation
import RNN
import SequenceData
import _ToolSupport

extension Seq2Seq {
    /// `seq2seq translate`: one output line per input line, by beam search.
    struct Translate: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Translate lines (from --input or standard input) with a trained checkpoint, one output line each.",
            discussion: """
                Lines are translated as they arrive (a batch of those already read at a time),
                so a terminal gets each answer at once and a pipe runs at full batch speed.
                With --n-best N, each input line gives N lines 'LINE ||| TRANSLATION ||| SCORE'
                (LINE counts from 1; SCORE is log P / length penalty).

                Examples:
                  echo "the third of march, 2019" | seq2seq translate --checkpoint dates.safetensors
                  seq2seq translate --checkpoint dates.safetensors --input sources.txt --beam 10 --n-best 3
                  seq2seq translate --checkpoint dates.safetensors --input few.txt --show-attention --attention-svg map.svg
                """
        )

        @Option(help: ArgumentHelp("A checkpoint written by seq2seq train.", valueName: "path")) var checkpoint: String
        @Option(help: ArgumentHelp("Lines to translate (default: standard input).", valueName: "path")) var input: String?
        @OptionGroup var search: SearchOptions
        @OptionGroup var precision: PrecisionOptions
        @Option(help: ArgumentHelp("Hypotheses printed per line, best first (at most --beam).", valueName: "n")) var nBest = 1
        @Flag(help: "Print each translation's attention weights (percent per source token) to standard error.")
        var showAttention = false
        @Option(help: ArgumentHelp("Draw the attention of the first 12 lines as heat maps here (SVG).", valueName: "path"))
        var attentionSvg: String?

        func run() throws {
            if let attentionSvg { try OutputPath.checkWritable(attentionSvg, option: "--attention-svg") }
            let saved = try Seq2SeqCheckpoint(path: checkpoint, option: "--checkpoint")
            let model = saved.model
            try precision.apply(to: model)
            let search = try self.search.search(nBest: nBest, targetVocabulary: model.configuration.targetVocabularySize)
            let recording = showAttention || attentionSvg != nil
            if recording && model.configuration.attention == nil {
                throw CLIError(
                    "--checkpoint '\(checkpoint)' has no attention (trained with --attention none): there are no weights to show")
            }
            let lines = try LineInput(path: input)
            let interactive = input == nil && isatty(STDIN_FILENO) == 1
            let decoding = ParallelDecoder(model, threads: interactive ? 1 : self.search.threadCount)
            let (sourceSide, targetSide) = (saved.vocabularies.source, saved.vocabularies.target)
            var unknown = 0
            var maps: [AttentionMap] = []
            while true {
                let batch = try lines.next(interactive ? 1 : self.search.batchSize * decoding.models.count)
                if batch.isEmpty { break }
                // A line of no token (empty, or only spaces in words) gets an empty line.
                let encoded = batch.map { sourceSide.encode($0.text) }
                var sources: [[Int32]] = []
                for ((line, _), tokens) in zip(batch, encoded) where !tokens.isEmpty {
                    try PairData.checkLength(tokens.count, limit: saved.run.maxSourceLength, place: "\(lines.name) line \(line)")
                    unknown += SideVocabulary.unknownCount(tokens)
                    sources.append(tokens)
                }
                let results =
                    sources.isEmpty ? [] : decoding.decode(sources, search, batchSize: self.search.batchSize, recordAttention: recording)
                var next = results.makeIterator()
                var out = ""
                for ((line, text), tokens) in zip(batch, encoded) {
                    guard !tokens.isEmpty, let list = next.next() else {
                        out += nBest == 1 ? "\n" : ""
                        continue
                    }
                    for t in list {
                        let translation = targetSide.decode(t.tokens)
                        out += nBest == 1 ? translation + "\n" : "\(line) ||| \(translation) ||| \(String(format: "%.4f", t.score))\n"
                    }
                    guard recording, let best = list.first else { continue }
                    let map = AttentionMap(
                        line: line, source: SideVocabulary.split(text, sourceSide.unit),
                        output: best.tokens.map { targetSide.symbols[Int($0)] } + (best.ended ? [SideVocabulary.end] : []),
                        weights: best.attention)
                    if showAttention { Console.note(map.text) }
                    if maps.count < 12 { maps.append(map) }
                }
                Console.out(out)
            }
            if unknown > 0 {
                Console.note("seq2seq: \(Format.plural(unknown, "input symbol")) outside the source vocabulary read as <unk>")
            }
            if let attentionSvg, !maps.isEmpty {
                try OutputPath.write(AttentionMap.svg(maps), to: attentionSvg, option: "--attention-svg")
            }
        }
    }
}
