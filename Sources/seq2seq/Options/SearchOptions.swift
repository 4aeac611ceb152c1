import ArgumentParser
import Linalg
import RNN
import _ToolSupport

/// How `translate` and `eval` search: the beam, its length penalty and maximum length,
/// and the threads and batch they decode with.
struct SearchOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Beam width (1: greedy decoding).", valueName: "k")) var beam = 5
    @Option(help: ArgumentHelp("GNMT's length penalty α: finished hypotheses rank by log P / ((5 + length) / 6)^α.", valueName: "α"))
    var alpha = 0.6
    @Option(help: ArgumentHelp("An output may have ratio × (source tokens) + --max-length-extra tokens.", valueName: "ratio"))
    var maxLengthRatio = 2.0
    @Option(help: ArgumentHelp("See --max-length-ratio.", valueName: "n")) var maxLengthExtra = 10
    @Option(
        help: ArgumentHelp(
            "The most sources decoded together (their hypotheses advance as one batch; fewer for long sources, so that a batch stays in the cache).",
            valueName: "n")) var batchSize = 64
    @Option(help: ArgumentHelp("Threads (default: one per core), each decoding its own batches.", valueName: "n")) var threads: Int?

    func validate() throws {
        if beam < 1 { throw CLIError("--beam \(beam): the beam width must be at least 1 (1 is greedy decoding)") }
        if !(1...65_536).contains(batchSize) { throw CLIError("--batch-size \(batchSize) is outside 1...65536") }
        if let threads, !(1...256).contains(threads) { throw CLIError("--threads \(threads) is outside 1...256") }
    }

    /// The search for a model of `targetVocabulary` tokens (a beam wider than it is refused).
    func search(nBest: Int, targetVocabulary: Int) throws -> BeamSearch {
        guard beam <= targetVocabulary else {
            throw CLIError(
                "--beam \(beam) is wider than the target vocabulary (\(targetVocabulary) tokens): there are not that many different continuations; give at most \(targetVocabulary)"
            )
        }
        let search = BeamSearch(
            width: beam, lengthPenalty: alpha, maxLengthRatio: maxLengthRatio, maxLengthExtra: maxLengthExtra, nBest: nBest)
        if let problem = search.problem { throw CLIError("the search options are unusable: \(problem)") }
        return search
    }

    var threadCount: Int { threads ?? ComputeThreads.processorCount }
}
