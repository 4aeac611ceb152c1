import RNN

/// The "long" table of a classification set as sequences: the rows of each id (in time
/// order when the table has a time column) form one variable-length multivariate
/// sequence, labelled by the label column — which must be the same on every row of an id.
///
/// ```swift
/// let table = try CSVTable.load(path: "gestures.csv", numeric: .allNumeric(except: ["id", "label", "t"]),
///                               text: ["id", "label"], time: "t", groupedBy: "id")
/// let set = try GroupedSequences(table, id: "id", label: "label")
/// let batch = try ManyToOneModel.Batch(sequences: Array(set.sequences[0..<32]), labels: Array(set.labels[0..<32]))
/// ```
public struct GroupedSequences: Sendable {
    /// `[sequence][step][feature]`, sequences in order of their id's first row.
    public let sequences: [[[Float]]]
    /// Each sequence's label, an index into `classes`.
    public let labels: [Int]
    /// The label values, sorted (their index is the class).
    public let classes: [String]
    /// Each sequence's id.
    public let ids: [String]
    /// The features, in order.
    public let features: [String]

    /// - Throws: `CSVError` at the first row whose label differs from its id's first row's.
    /// - Precondition: `id` and `label` are text columns of `table`.
    public init(_ table: CSVTable, id: String, label: String, features: [String]? = nil) throws(CSVError) {
        let ids = table.text[id]!, labelColumn = table.text[label]!
        let features = features ?? table.numericNames
        let classes = labelColumn.values.sorted()
        let classOf = Dictionary(
            uniqueKeysWithValues: labelColumn.values.enumerated().map { ($0.offset, classes.firstIndex(of: $0.element)!) })
        var rowsOf = [[Int]](repeating: [], count: ids.values.count)
        for (row, code) in ids.codes.enumerated() { rowsOf[Int(code)].append(row) }
        var labels: [Int] = [], sequences: [[[Float]]] = []
        let columns = features.map { table.numeric[$0]! }
        for rows in rowsOf {
            let first = labelColumn.codes[rows[0]]
            if let bad = rows.first(where: { labelColumn.codes[$0] != first }) {
                throw CSVError(
                    path: table.path, line: Int(table.lines[bad]),
                    "the label '\(labelColumn.values[Int(labelColumn.codes[bad])])' of id '\(ids.values[Int(ids.codes[bad])])' differs from its first row's ('\(labelColumn.values[Int(first)])', line \(table.lines[rows[0]])); a sequence has one label"
                )
            }
            labels.append(classOf[Int(first)]!)
            sequences.append(rows.map { row in columns.map { $0[row] } })
        }
        self.sequences = sequences
        self.labels = labels
        self.classes = classes
        self.ids = ids.values
        self.features = features
    }
}
