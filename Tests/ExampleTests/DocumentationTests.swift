import Foundation
import Testing

/// The README and the guides stay true: every relative link reaches a file (and a heading,
/// for a `#fragment`), and the README's library example is the example program the tests
/// build and run.
struct DocumentationTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    /// README.md, CHANGELOG.md, CONTRIBUTING.md and every Markdown file of `docs/`.
    static var documents: [URL] {
        let docs =
            (try? FileManager.default.contentsOfDirectory(
                at: root.appendingPathComponent("docs"),
                includingPropertiesForKeys: nil)) ?? []
        return ["README.md", "CHANGELOG.md", "CONTRIBUTING.md"].map { root.appendingPathComponent($0) }
            + docs.filter { $0.pathExtension == "md" }.sorted { $0.path < $1.path }
    }

    /// GitHub's anchor of a heading: lowercased, punctuation but `-` and `_` dropped,
    /// spaces made hyphens.
    static func anchor(_ heading: String) -> String {
        String(
            heading.lowercased().unicodeScalars.compactMap { c -> Character? in
                if c == " " { return "-" }
                if c == "-" || c == "_" || CharacterSet.alphanumerics.contains(c) { return Character(c) }
                return nil
            })
    }

    @Test func relativeLinksReachTheirTargets() throws {
        let link = /\]\(([^)\s]+)\)/
        var checked = 0
        for document in Self.documents {
            let text = try String(contentsOf: document, encoding: .utf8)
            for match in text.matches(of: link) {
                let target = String(match.1)
                if target.contains("://") || target.hasPrefix("mailto:") { continue }
                let parts = target.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false)
                let file =
                    parts[0].isEmpty
                    ? document
                    : document.deletingLastPathComponent().appendingPathComponent(String(parts[0])).standardizedFileURL
                checked += 1
                #expect(
                    FileManager.default.fileExists(atPath: file.path),
                    "\(document.lastPathComponent): the link '\(target)' reaches no file")
                if parts.count == 2, file.pathExtension == "md", let linked = try? String(contentsOf: file, encoding: .utf8) {
                    let anchors = linked.split(separator: "\n").filter { $0.hasPrefix("#") }
                        .map { Self.anchor($0.drop { $0 == "#" }.trimmingCharacters(in: .whitespaces)) }
                    #expect(
                        anchors.contains(String(parts[1])),
                        "\(document.lastPathComponent): the link '\(target)' names no heading of \(file.lastPathComponent)")
                }
            }
        }
        #expect(checked >= 10, "only \(checked) relative links found: is the README where it should be?")
    }

    /// The README's library example is `Examples/Classifier/main.swift` (without its header
    /// comment), which `example-classifier` builds and the example tests run.
    @Test func theReadmeExampleIsTheClassifierProgram() throws {
        let readme = try String(contentsOf: Self.root.appendingPathComponent("README.md"), encoding: .utf8)
        let blocks = readme.components(separatedBy: "```swift\n").dropFirst().map { $0.components(separatedBy: "```")[0] }
        let body = try Self.exampleBody("Classifier")
        #expect(blocks.contains(body), "the README's example differs from Examples/Classifier/main.swift")
    }

    /// Every Markdown file with Swift blocks a reader copies from: the README, the guides
    /// and the DocC articles.
    static var codeDocuments: [URL] {
        let sources = root.appendingPathComponent("Sources")
        let catalogs = (FileManager.default.enumerator(at: sources, includingPropertiesForKeys: nil)?.allObjects as? [URL] ?? [])
            .filter { $0.pathExtension == "md" && $0.path.contains(".docc/") }
        return (documents + catalogs).sorted { $0.path < $1.path }
    }

    /// The bodies of the example programs (their header comments dropped).
    static func exampleBodies() throws -> [String] {
        let examples = root.appendingPathComponent("Examples")
        return try FileManager.default.contentsOfDirectory(atPath: examples.path).sorted().compactMap { try? exampleBody($0) }
    }

    /// `Examples/<name>/main.swift` without its header comment.
    static func exampleBody(_ name: String) throws -> String {
        let file = root.appendingPathComponent("Examples").appendingPathComponent(name).appendingPathComponent("main.swift")
        let program = try String(contentsOf: file, encoding: .utf8)
        return program.split(separator: "\n", omittingEmptySubsequences: false).drop { $0.hasPrefix("//") }
            .joined(separator: "\n")
    }

    /// `Tests/SnippetTests/Snippets.swift` as the documents' Swift blocks make it: each
    /// block the body of a function that the test build compiles (none runs). A block is
    /// left out when it is an example program's body (built and run as that program) or a
    /// manifest fragment (`// Package.swift` on its first line). An HTML comment on the
    /// line before a block gives its context: `<!-- snippet: continues -->` appends it to
    /// the previous block of the document (the same program, read in parts), and
    /// `<!-- snippet: text: String, rng: inout SeededRandom -->` names what the block uses
    /// without defining it.
    static func snippetFile() throws -> String {
        let examples = try exampleBodies()
        var functions: [(header: String, parameters: String, lines: [String])] = []
        for document in codeDocuments {
            let name = String(document.path.dropFirst(root.path.count + 1))
            let lines = try String(contentsOf: document, encoding: .utf8).components(separatedBy: "\n")
            var i = 0, previousInDocument = false, blocks = 0
            while i < lines.count {
                guard lines[i] == "```swift" else {
                    // A fence this reader would skip (indented, a trailing space, CRLF) is an error.
                    let fence = lines[i].trimmingCharacters(in: .whitespacesAndNewlines)
                    if fence.hasPrefix("```") && fence.dropFirst(3).trimmingCharacters(in: .whitespaces) == "swift" {
                        Issue.record("\(name), line \(i + 1): write the fence as ```swift alone on its line")
                    }
                    i += 1
                    continue
                }
                blocks += 1
                let start = i + 1
                var end = start
                while end < lines.count && lines[end] != "```" { end += 1 }
                let block = Array(lines[start..<end])
                let directive =
                    i > 0 && lines[i - 1].hasPrefix("<!-- snippet:")
                    ? lines[i - 1].dropFirst("<!-- snippet:".count).dropLast(" -->".count).trimmingCharacters(in: .whitespaces) : ""
                i = end + 1
                if block.first?.hasPrefix("// Package.swift") == true || examples.contains(block.joined(separator: "\n") + "\n") {
                    previousInDocument = false  // a later block cannot continue one that is not compiled here
                    continue
                }
                if directive == "continues" && !previousInDocument {
                    Issue.record("\(name), Swift block \(blocks): it continues no compiled block before it")
                }
                let code = Array(block.filter { !$0.hasPrefix("import ") }.drop { $0.isEmpty })
                if directive == "continues" && previousInDocument {
                    functions[functions.count - 1].lines += [""] + code
                } else {
                    functions.append(("// \(name), Swift block \(blocks)", directive == "continues" ? "" : directive, code))
                }
                previousInDocument = true
            }
        }
        var out = """
            // swift-format-ignore-file
            // Generated by DocumentationTests from the Swift blocks of the README, docs/ and the
            // DocC articles: each compiles here as written (none runs). After changing a block:
            //   SWIFT_RNN_UPDATE_SNIPPETS=1 swift test --filter DocumentationTests
            import Foundation
            import Linalg
            import ONNXExport
            import RNN
            import RNNDistributed
            import RNNTraining
            import SafeTensors
            import SequenceData

            """
        for (n, function) in functions.enumerated() {
            out += "\n\(function.header)\n@MainActor\nprivate func snippet\(n + 1)(\(function.parameters)) throws {\n"
            out += function.lines.map { $0.isEmpty ? "" : "    " + $0 }.joined(separator: "\n") + "\n}\n"
        }
        return out
    }

    /// The documents' Swift blocks are the ones `Tests/SnippetTests` compiles.
    @Test func everySwiftBlockIsCompiled() throws {
        let expected = try Self.snippetFile()
        let file = Self.root.appendingPathComponent("Tests/SnippetTests/Snippets.swift")
        let current = try? String(contentsOf: file, encoding: .utf8)
        if current != expected && ProcessInfo.processInfo.environment["SWIFT_RNN_UPDATE_SNIPPETS"] == "1" {
            try expected.write(to: file, atomically: true, encoding: .utf8)
            return
        }
        #expect(
            current == expected,
            """
            a Swift block of the docs changed, or Tests/SnippetTests/Snippets.swift was edited by hand: \
            run SWIFT_RNN_UPDATE_SNIPPETS=1 swift test --filter DocumentationTests, then build the tests
            """)
        #expect(expected.components(separatedBy: "private func snippet").count > 6, "too few Swift blocks found")
    }

    @Test func theReadmeFitsOnAScreenOrFour() throws {
        let readme = try String(contentsOf: Self.root.appendingPathComponent("README.md"), encoding: .utf8)
        #expect(readme.split(separator: "\n", omittingEmptySubsequences: false).count <= 200)
    }
}
