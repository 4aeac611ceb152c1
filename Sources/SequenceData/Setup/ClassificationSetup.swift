import Foundation
import Linalg
import RNN

/// How a sequence classifier's data is prepared, stored with the model: the id, label,
/// time and feature columns, the filling of gaps, the scaling of the features (fitted on
/// the training sequences' rows) and the classes in label order.
public struct ClassificationSetup: Codable, Equatable, Sendable {
    public var id: String
    public var label: String
    public var time: String?
    public var features: [String]
    public var fill: MissingValues
    public var scaler: Scaler
    /// The label values; a class is an index into them.
    public var classes: [String]

    /// Fits the scaling to the rows of `set`'s sequences at `training`.
    public init(
        set: GroupedSequences, id: String, label: String, time: String?, fill: MissingValues, scaling: Scaler.Kind,
        training: [Int]
    ) {
        self.id = id
        self.label = label
        self.time = time
        self.features = set.features
        self.fill = fill
        self.classes = set.classes
        var columns = set.features.map { _ in [Float]() }
        for s in training {
            for row in set.sequences[s] { for (f, v) in row.enumerated() { columns[f].append(v) } }
        }
        scaler = Scaler.fit(
            scaling, columns: Dictionary(uniqueKeysWithValues: zip(set.features, columns)), rows: 0..<max(columns.first?.count ?? 0, 1))
    }

    /// `sequences` with every feature scaled.
    public func scaled(_ sequences: [[[Float]]]) -> [[[Float]]] {
        let columns = features.map { scaler.columns[$0]! }
        return sequences.map { rows in rows.map { row in zip(row, columns).map { ($0 - $1.offset) / $1.scale } } }
    }
}
