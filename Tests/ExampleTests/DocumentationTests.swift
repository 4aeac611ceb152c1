import Foundation
import Testing

/// The README and the guides stay true: every relative link reaches a file (and a heading,
/// for a `#fragment`), and the README's library example is the example program the tests
/// build and run.
struct DocumentationTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    /// README.md, CHANGELOG.md and every Markdown file of `docs/`.
    static var documents: [URL] {
        let docs = (try? FileManager.default.contentsOfDirectory(at: root.appendingPathComponent("docs"),
                                                                   includingPropertiesForKeys: nil)) ?? []
        return [root.appendingPathComponent("README.md"), root.appendingPathComponent("CHANGELOG.md")]
            + docs.filter { $0.pathExtension == "md" }.sorted { $0.path < $1.path }
    }

    /// GitHub's anchor of a heading: lowercased, punctuation but `-` and `_` dropped,
    /// spaces made hyphens.
    static func anchor(_ heading: String) -> String {
        String(heading.lowercased().unicodeScalars.compactMap { c -> Character? in
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
                let file = parts[0].isEmpty ? document
                    : document.deletingLastPathComponent().appendingPathComponent(String(parts[0])).standardizedFileURL
                checked += 1
                #expect(FileManager.default.fileExists(atPath: file.path),
                        "\(document.lastPathComponent): the link '\(target)' reaches no file")
                if parts.count == 2, file.pathExtension == "md", let linked = try? String(contentsOf: file, encoding: .utf8) {
                    let anchors = linked.split(separator: "\n").filter { $0.hasPrefix("#") }
                        .map { Self.anchor($0.drop { $0 == "#" }.trimmingCharacters(in: .whitespaces)) }
                    #expect(anchors.contains(String(parts[1])),
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
        let program = try String(contentsOf: Self.root.appendingPathComponent("Examples/Classifier/main.swift"), encoding: .utf8)
        let body = program.split(separator: "\n", omittingEmptySubsequences: false).drop { $0.hasPrefix("//") }
            .joined(separator: "\n")
        #expect(blocks.contains(body), "the README's example differs from Examples/Classifier/main.swift")
    }

    @Test func theReadmeFitsOnAScreenOrFour() throws {
        let readme = try String(contentsOf: Self.root.appendingPathComponent("README.md"), encoding: .utf8)
        #expect(readme.split(separator: "\n", omittingEmptySubsequences: false).count <= 200)
    }
}
