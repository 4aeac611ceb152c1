import RNN
import RNNTraining
import _ToolSupport

/// A `--data` file read as the library's `TextCorpus`, with messages that name the
/// option, within the memory the process may use (`MemoryBudget`).
enum Corpus {
    /// Loads `path` as tokens of `unit`, or of `fixed`'s unit when given (a checkpoint's
    /// vocabulary); see `TextCorpus.read`. With characters, ones outside `fixed` are an
    /// error naming them (`hint` ends that message), or dropped with a warning when
    /// `skipUnknown`.
    static func load(
        path: String, option: String, unit: TextUnit = .char, vocabulary fixed: TextVocabulary? = nil,
        vocabLimit: Int? = nil, skipUnknown: Bool = false, hint: String = ""
    ) throws -> TextCorpus {
        let budget = MemoryBudget.current()
        let corpus: TextCorpus
        do {
            corpus = try TextCorpus.read(
                path: path, unit: unit, vocabulary: fixed, vocabularyLimit: vocabLimit,
                skippingUnknown: skipUnknown, byteBudget: Int(budget.bytes * 0.8))
        } catch {
            throw TextFile.message(error, option: option, budget: budget, hint: hint)
        }
        if !corpus.droppedCharacters.isEmpty {
            let what = TextFile.unknownCharacters(
                corpus.droppedCharacters, path: path, option: option,
                vocabularySize: corpus.vocabulary.count)
            Console.warning("\(what); dropped \(Format.plural(corpus.droppedOccurrences, "occurrence"))")
        }
        return corpus
    }
}
