import Foundation
import RNN
import RNNTraining
import _ToolSupport

/// Reading UTF-8 text files (the library's `TextFileReader`) with messages that name the
/// option, the path and the problem.
enum TextFile {
    /// The contents of `path` as a string; `option` (e.g. `--prime-file`) names the file in
    /// errors. Throws for a missing file, a directory or another file that is not a
    /// regular one, an unreadable file, an empty file (unless `allowEmpty`) and bytes that
    /// are not UTF-8 (naming the first bad byte's offset).
    ///
    /// `memoryPerByte` is what the caller will hold per byte of the file (the bytes, the
    /// string, tokens, ...): a file whose size times it would not fit in `MemoryBudget`
    /// is refused before it is read.
    static func read(_ path: String, option: String, allowEmpty: Bool = false, memoryPerByte: Int = 2) throws -> String {
        let budget = MemoryBudget.current()
        do {
            return try TextFileReader(path: path, byteBudget: Int(budget.bytes * 0.8)).utf8Text(bytesPerByte: memoryPerByte)
        } catch .empty where allowEmpty {
            return ""
        } catch {
            throw message(error, option: option, budget: budget)
        }
    }

    /// The message for `error`, naming `option`; `hint` ends the one for characters
    /// outside a checkpoint's vocabulary.
    static func message(_ error: TextCorpusError, option: String, budget: MemoryBudget, hint: String = "") -> CLIError {
        switch error {
        case .notFound(let path): return CLIError("\(option) file '\(path)' does not exist; check the path")
        case .isDirectory(let path): return CLIError("\(option) '\(path)' is a directory; give a file")
        case .notRegularFile(let path, let kind): return CLIError("\(option) '\(path)' is \(kind), not a regular file; give a file")
        case .unreadable(let path, let reason): return CLIError("cannot read \(option) file '\(path)': \(reason)")
        case .empty(let path): return CLIError("\(option) file '\(path)' is empty; give a file with UTF-8 text")
        case .notUTF8(let path, let byte, let offset):
            return CLIError(
                "\(option) file '\(path)' is not UTF-8 text (invalid byte \(String(format: "0x%02X", byte)) at offset \(offset)); convert it first, e.g. iconv -f latin1 -t utf-8 '\(path)' > converted.txt\(option == "--data" ? ", or train on its bytes: charrnn train --unit byte" : "")"
            )
        case .exceedsByteBudget(let path, let size, let bytes, _):
            return CLIError(
                "\(option) file '\(path)' (\(MemoryBudget.format(Double(size)))) needs about \(MemoryBudget.format(Double(bytes))) of memory to load and use, more than \(budget.limit) leaves (\(MemoryBudget.format(budget.bytes))); use a smaller file"
            )
        case .charactersOutsideVocabulary(let path, let characters, let distinct, _, let size):
            return CLIError(unknownCharacters(characters, distinct: distinct, path: path, option: option, vocabularySize: size) + hint)
        case .tooFewWords(let path, let words):
            let list = words.map { "'\($0)'" }.joined(separator: ", ")
            return CLIError(
                "\(option) file '\(path)' has \(Format.plural(words.count, "distinct word"))\(list.isEmpty ? "" : " (\(list))"); --unit word needs at least 2 to learn from; use a longer text, or --unit char"
            )
        case .changedWhileRead(let path): return CLIError("\(option) file '\(path)' changed while it was read; try again")
        }
    }

    /// "<option> file '<path>' has 3 characters that the checkpoint's vocabulary of 40
    /// lacks: 'é' (U+00E9), ..." (at most 8 shown).
    static func unknownCharacters(
        _ characters: [Unicode.Scalar], distinct: Int? = nil, path: String, option: String,
        vocabularySize: Int
    ) -> String {
        let distinct = distinct ?? characters.count
        let shown = characters.prefix(8).map { CheckpointError.describe($0) }.joined(separator: ", ")
        let more = distinct > 8 ? " and \(distinct - 8) more" : ""
        return
            "\(option) file '\(path)' has \(Format.plural(distinct, "character")) that the checkpoint's vocabulary of \(vocabularySize) lacks: \(shown)\(more)"
    }
}
