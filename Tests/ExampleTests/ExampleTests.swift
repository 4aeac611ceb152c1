import Foundation
import Testing
import ToolTesting

/// Each program of `Examples/` runs to the end and reaches what its comment promises.
struct ExampleProgramTests {
    func run(_ tool: ToolProcess.Tool, _ arguments: [String] = []) throws -> String {
        let r = try ToolProcess.run(arguments, timeout: 300, tool: tool)
        #expect(r.status == 0 && r.stderr.isEmpty, "\(r)")
        return r.stdout
    }

    @Test func classifierTrainsOnTwoWorkersSavesAndReloads() throws {
        try withTemporaryDirectory { dir in
            let out = try run(.classifier, [dir + "/classifier.safetensors"])
            #expect(FileManager.default.fileExists(atPath: dir + "/classifier.safetensors"))
            let line = try #require(out.split(separator: "\n").last)
            let right = Int(line.split(separator: " ").dropFirst(3).first ?? "") ?? -1
            #expect(right >= 115, "\(out)")  // of 128 held-out sequences, >= 90%
        }
    }

    @Test func generatorEmitsEachCodesDigits() throws {
        let out = try run(.generator)
        for k in 0..<5 {
            #expect(out.contains("code \(k): " + (0..<6).map { String((k + $0) % 10) }.joined(separator: " ")), "\(out)")
        }
    }

    @Test func reverserReversesHeldOutStrings() throws {
        let out = try run(.reverser)
        let right = Int(out.split(separator: "\n").last?.split(separator: " ").first ?? "") ?? -1
        #expect(right >= 58, "\(out)")  // of 64
    }

    /// A bidirectional tagger of peaks, saved half way and resumed from the file alone.
    @Test func taggerResumesAndTagsPeaks() throws {
        try withTemporaryDirectory { dir in
            let out = try run(.tagger, [dir + "/tagger.safetensors"])
            #expect(FileManager.default.fileExists(atPath: dir + "/tagger.safetensors"))
            let words = try #require(out.split(separator: "\n").last).split(separator: " ")
            let right = Int(words.dropLast(6).last ?? "") ?? -1, counted = Int(words.dropLast(4).last ?? "") ?? 0
            #expect(counted > 500 && Double(right) >= 0.95 * Double(counted), "\(out)")
        }
    }

    /// The newcomer's program: per-step and validation losses that fall, a checkpoint
    /// written and read back, and the loaded model continuing the text.
    @Test func characterModelTrainsSavesLoadsAndContinuesTheText() throws {
        try withTemporaryDirectory { dir in
            let out = try run(.characterModel, [dir + "/model.safetensors"])
            #expect(FileManager.default.fileExists(atPath: dir + "/model.safetensors"))
            let lines = out.split(separator: "\n")
            func losses(_ prefix: String) -> [Double] {
                lines.filter { $0.hasPrefix(prefix) }.compactMap { Double($0.split(separator: " ").last ?? "") }
            }
            let steps = losses("step "), validation = losses("epoch ")
            #expect(steps.count >= 3 && steps.last! < steps.first! / 2, "\(out)")
            #expect(validation.count == 3 && validation.last! < 0.5, "\(out)")
            #expect(lines.last?.hasPrefix("the quick brown fox jumps over the lazy dog") == true, "\(out)")
        }
    }

    /// Given a text file, the same program reads it through `TextCorpus`.
    @Test func characterModelReadsATextFile() throws {
        try withTemporaryDirectory { dir in
            let text = String(repeating: "abcabd ", count: 200)
            try text.write(toFile: dir + "/text.txt", atomically: true, encoding: .utf8)
            let out = try run(.characterModel, [dir + "/model.safetensors", dir + "/text.txt"])
            #expect(out.split(separator: "\n").last?.hasPrefix("abcabd abcabd abcabd") == true, "\(out)")
        }
    }
}
