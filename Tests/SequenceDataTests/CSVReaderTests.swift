import Foundation
import SequenceData
import Testing
import ToolTesting

/// The reader and the table against hand-made files: RFC 4180's quoting, line breaks, a
/// BOM, and every malformed input as an error naming its line and column.
@Suite struct CSVReaderTests {
    static func table(
        _ text: String, numeric: CSVTable.NumericColumns = .allNumeric(except: []), textColumns: [String] = [],
        time: String? = nil, missing: MissingValues = .error, in dir: String
    ) throws -> CSVTable {
        let path = try write(text, to: "t.csv", in: dir)
        return try CSVTable.load(path: path, numeric: numeric, text: textColumns, time: time, missing: missing)
    }

    static func records(_ bytes: [UInt8], in dir: String) throws -> [[String]] {
        let path = dir + "/r.csv"
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        var reader = try CSVReader(path: path)
        var record = CSVRecord()
        var out: [[String]] = []
        while try reader.next(into: &record) { out.append((0..<record.count).map { record.string($0) ?? "<bytes>" }) }
        return out
    }

    @Test func quotingLineBreaksAndByteOrderMarkFollowRFC4180() throws {
        try withTemporaryDirectory { dir in
            let text = "\u{FEFF}a,\"b, with comma\",c\r\n\"x\"\"y\",\"two\nlines\",\r\nlast,,\"\""
            #expect(
                try Self.records(Array(text.utf8), in: dir) == [
                    ["a", "b, with comma", "c"], ["x\"y", "two\nlines", ""], ["last", "", ""],
                ])
            // Line numbers count the line breaks inside quotes.
            let path = try write("h\n\"1\n2\"\n3\n", to: "l.csv", in: dir)
            var reader = try CSVReader(path: path)
            var record = CSVRecord()
            var lines: [Int] = []
            while try reader.next(into: &record) { lines.append(reader.line) }
            #expect(lines == [1, 2, 4])
        }
    }

    @Test func malformedQuotingIsAnErrorWithLineAndColumn() throws {
        try withTemporaryDirectory { dir in
            let cases: [(String, Int, Int, String)] = [
                ("a,b\n1,2\"3\n", 2, 2, "a quote inside an unquoted field"),
                ("a,b\n1,\"2\"x\n", 2, 2, "text after a closing quote"),
                ("a,b\n1,2\n3,\"open\n4,5\n", 3, 2, "not closed before the end of the file"),
            ]
            for (text, line, column, reason) in cases {
                do {
                    _ = try Self.records(Array(text.utf8), in: dir)
                    Issue.record("\(text.debugDescription) was read")
                } catch let error as CSVError {
                    #expect(error.line == line && error.column == column && error.reason.contains(reason), "\(error)")
                }
            }
        }
    }

    @Test func tablesRejectWhatTheyCannotReadNamingLineAndColumn() throws {
        try withTemporaryDirectory { dir in
            let cases: [(String, String)] = [
                ("", "the file is empty"),
                ("a,b\n", "a header but no data rows"),
                ("a,b\n1,2\n3\n", "line 3: 1 field, the header has 2"),
                ("a,b\n1,2\n3,4,5\n", "line 3: 3 fields, the header has 2"),
                ("a,b\n1,2\n3,x\n", "line 3, column 2: 'x' in column 'b' is not a number"),
                ("a,b\n1,2\n3,inf\n", "line 3, column 2: 'inf' in column 'b' is infinite"),
                ("a,b\n1,2\n3,1e39\n", "line 3, column 2: 1e+39 in column 'b' is too large for a Float"),
                ("a,b\n1,2\n3,NaN\n", "line 3, column 2: column 'b' has a missing value"),
                ("a,a\n1,2\n", "line 1, column 2: the column name 'a' appears twice"),
            ]
            for (text, message) in cases {
                do {
                    _ = try Self.table(
                        text, numeric: text.hasPrefix("a,b\n1,2\n3,x") ? .named(["a", "b"]) : .allNumeric(except: []), in: dir)
                    Issue.record("\(text.debugDescription) was read")
                } catch {
                    #expect("\(error)".contains(message), "\(text.debugDescription): \(error)")
                }
            }
            do {
                _ = try Self.table("a,b\n1,2\n", numeric: .named(["a", "c"]), in: dir)
                Issue.record("an unknown column was read")
            } catch {
                #expect("\(error)".contains("no column named 'c' (numeric); the header has 'a', 'b'"), "\(error)")
            }
        }
    }

    @Test func aMillionColumnHeaderIsRefusedBeforeItExhaustsMemory() throws {
        try withTemporaryDirectory { dir in
            let header = (0..<1_000_000).map { "c\($0)" }.joined(separator: ",")
            do {
                _ = try Self.table(header + "\n", in: dir)
                Issue.record("a header of 10^6 columns was read")
            } catch let error as CSVError {
                #expect(error.line == 1 && error.reason.contains("more than 100000 fields in one record"), "\(error)")
            }
        }
    }

    @Test func missingValuesAreFilledAsAsked() throws {
        try withTemporaryDirectory { dir throws in
            let text = "x\n1\n\nNA\n4\nnull\n"  // an empty line is a blank line, skipped
            #expect(try Self.table(text, missing: .previous, in: dir).numeric["x"] == [1, 1, 4, 4])
            #expect(try Self.table(text, missing: .zero, in: dir).numeric["x"] == [1, 0, 4, 0])
            #expect(try Self.table("x\n1\nNA\nNA\n4\nnull\n", missing: .linear, in: dir).numeric["x"] == [1, 2, 3, 4, 4])
            #expect(try Self.table("x\nNA\n2\n", missing: .linear, in: dir).numeric["x"] == [2, 2])
            #expect(throws: CSVError.self) { try Self.table("x\nNA\n2\n", missing: .previous, in: dir) }
        }
    }

    @Test func aTimeColumnOrdersTheRowsAndMustBeRegular() throws {
        try withTemporaryDirectory { dir in
            let monthly = try Self.table(
                "month,y\n2024-03,3\n2024-01,1\n2024-02,2\n2024-04,4\n", numeric: .named(["y"]), time: "month", in: dir)
            #expect(monthly.numeric["y"] == [1, 2, 3, 4] && monthly.spacing == .months(1) && monthly.lines == [3, 4, 2, 5])
            let daily = try Self.table("d,y\n2024-02-28,1\n2024-02-29,2\n2024-03-01,3\n", numeric: .named(["y"]), time: "d", in: dir)
            #expect(daily.spacing == .step(86_400))
            let numbers = try Self.table("t,y\n0.5,1\n1.0,2\n1.5,3\n", numeric: .named(["y"]), time: "t", in: dir)
            #expect(numbers.spacing == .step(0.5))
            let cases: [(String, String)] = [
                ("t,y\n1,1\n2,2\n4,3\n", "line 4: the time column 't' is not regularly spaced"),
                ("t,y\n1,1\n2,2\n2,3\n", "line 4: the time 't' repeats the one of line 3"),
                (
                    "t,y\n2024-01-01,1\n2024-02-30,2\n",
                    "line 3, column 1: '2024-02-30' in the time column 't' is neither a number nor a date"
                ),
            ]
            for (text, message) in cases {
                do {
                    _ = try Self.table(text, numeric: .named(["y"]), time: "t", in: dir)
                    Issue.record("\(text.debugDescription) was read")
                } catch {
                    #expect("\(error)".contains(message), "\(error)")
                }
            }
        }
    }

    @Test func numbersAndTheSpellingsOfMissingValues() {
        func parse(_ s: String) -> CSVNumber { CSVNumber.parse(Array(s.utf8)[...]) }
        #expect(parse(" 1.5e3 ") == .value(1500) && parse("-0.25") == .value(-0.25) && parse(".5") == .value(0.5))
        for missing in ["", "NA", "n/a", "NaN", "nan", "null", "None"] { #expect(parse(missing) == .missing, "\(missing)") }
        for infinite in ["inf", "-Infinity", "1e999"] { #expect(parse(infinite) == .infinite, "\(infinite)") }
        for text in ["abc", "0x1A", "1,5", "12abc", "--1"] { #expect(parse(text) == .text, "\(text)") }
    }
}
