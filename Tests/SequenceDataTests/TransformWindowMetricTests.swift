import Foundation
import RNN
import SequenceData
import Testing
import ToolTesting

/// Scaling, differencing, windows and splits, metrics and baselines against values worked
/// out by hand.
@Suite struct TransformWindowMetricTests {
    @Test func scalingIsFittedOnTheTrainingRowsOnly() {
        let split = TimeSplit(rowCount: 5, trainEnd: 3, validationEnd: 4)
        let series: [Float] = [1, 2, 3, 100, 200]
        let standard = Scaler.fit(.standard, columns: ["y": series], rows: split.train)
        #expect(standard.columns["y"]!.offset == 2)
        #expect(abs(standard.columns["y"]!.scale - (2.0 / 3.0).squareRoot()) < 1e-6)
        // Whatever the later rows hold, the fit is the same.
        var changed = series
        changed[3] = -1e6
        changed[4] = 7
        #expect(Scaler.fit(.standard, columns: ["y": changed], rows: split.train) == standard)
        let minMax = Scaler.fit(.minMax, columns: ["y": series], rows: split.train)
        #expect(minMax.transform(series, column: "y") == [0, 0.5, 1, 49.5, 99.5])
        #expect(minMax.inverse(minMax.transform(series, column: "y"), column: "y") == series)
        // A constant column scales by 1.
        #expect(Scaler.fit(.standard, columns: ["c": [4, 4, 4]], rows: 0..<3).transform([4, 5], column: "c") == [0, 1])
    }

    @Test func differencingIsInvertedOnForecasts() {
        let series: [Float] = [10, 12, 15, 11, 13, 16, 12]
        let first = Differencing(lag: 1)
        #expect(first.apply(series) == [2, 3, -4, 2, 3, -4])
        #expect(first.invert([2, 3], history: series) == [14, 17])
        let seasonal = Differencing(lag: 3)
        #expect(seasonal.apply(series) == [1, 1, 1, 1])
        #expect(seasonal.invert([1, 1, 1, 1], history: series) == [14, 17, 13, 15])
        #expect(seasonal.invert(seasonal.apply(series), history: Array(series.prefix(3))) == Array(series.dropFirst(3)))
    }

    @Test func everyWindowOfASmallSeriesAndEachSplitBoundary() {
        let split = TimeSplit(rowCount: 10, trainEnd: 6, validationEnd: 8)
        let windows = ForecastWindows(inputLength: 3, horizon: 2)
        #expect(windows.origins(targets: split.train) == [3, 4])
        #expect(windows.origins(targets: split.validation) == [6])
        #expect(windows.origins(targets: split.test) == [8])
        let pairs = windows.origins(targets: 0..<10).map { (Array(windows.inputRows($0)), Array(windows.targetRows($0))) }
        #expect(pairs.map(\.0) == [[0, 1, 2], [1, 2, 3], [2, 3, 4], [3, 4, 5], [4, 5, 6], [5, 6, 7]])
        #expect(pairs.map(\.1) == [[3, 4], [4, 5], [5, 6], [6, 7], [7, 8], [8, 9]])
        // No training window's targets reach the validation rows; with stride 2, every other origin.
        #expect(windows.origins(targets: split.train).allSatisfy { windows.targetRows($0).upperBound <= split.trainEnd })
        #expect(ForecastWindows(inputLength: 3, horizon: 2, stride: 2).origins(targets: 0..<10) == [3, 5, 7])
        // From a minimum origin: the same strides, the earlier origins left out.
        #expect(ForecastWindows(inputLength: 3, horizon: 2, stride: 2).origins(targets: 0..<10, from: 4) == [5, 7])
        #expect(windows.origins(targets: 0..<10, from: 6) == [6, 7, 8])
        #expect(ForecastWindows(inputLength: 8, horizon: 3).origins(targets: split.test).isEmpty)
        #expect(TimeSplit.fractions(rowCount: 100, validation: 0.1, test: 0.2) == TimeSplit(rowCount: 100, trainEnd: 70, validationEnd: 80))
        #expect(TimeSplit.fractions(rowCount: 2, validation: 0.5, test: 0.5) == nil)
    }

    @Test func forecastMetricsMatchHandComputedValues() {
        let metrics = ForecastMetrics(
            forecasts: [1, 2, 3], actuals: [2, 2, 5], training: [1, 3, 2, 4], seasonality: 1,
            interval: (lower: [0, 2.5, 4], upper: [3, 3, 6]))
        #expect(metrics.mae == 1)
        #expect(abs(metrics.rmse - (5.0 / 3).squareRoot()) < 1e-12)
        #expect(abs(metrics.smape - 100 * (2.0 / 3 + 0 + 0.5) / 3) < 1e-9)
        #expect(abs(metrics.mase - 0.6) < 1e-12)  // MAE 1 over the naive in-sample MAE 5/3
        #expect(metrics.coverage == 2.0 / 3)
        // With seasonality 2 the scale is mean(|2 - 1|, |4 - 3|) = 1.
        #expect(ForecastMetrics(forecasts: [1, 2, 3], actuals: [2, 2, 5], training: [1, 3, 2, 4], seasonality: 2).mase == 1)
    }

    @Test func baselinesRepeatTheLastValueAndTheLastSeason() {
        let series = (0..<12).map(Float.init)
        #expect(ForecastBaseline.naive.forecast(series, origin: 8, horizon: 3, seasonality: 4) == [7, 7, 7])
        #expect(ForecastBaseline.seasonalNaive.forecast(series, origin: 8, horizon: 6, seasonality: 4) == [4, 5, 6, 7, 4, 5])
    }

    @Test func classificationMetricsMatchHandComputedValues() {
        let m = ClassificationMetrics(predicted: [0, 1, 1, 2], actual: [0, 1, 2, 2], classes: 3)
        #expect(m.accuracy == 0.75)
        #expect(m.confusion == [[1, 0, 0], [0, 1, 0], [0, 1, 1]])
        #expect(abs(m.macroF1 - (1 + 2.0 / 3 + 2.0 / 3) / 3) < 1e-12)
        // A class nobody has nor predicts does not count; one predicted but absent counts 0.
        #expect(ClassificationMetrics(predicted: [0, 0], actual: [0, 0], classes: 3).macroF1 == 1)
        let absentPredicted: Double = (2.0 / 3 + 0) / 2
        #expect(ClassificationMetrics(predicted: [0, 2], actual: [0, 0], classes: 3).macroF1 == absentPredicted)
        let json = String(decoding: try! JSONEncoder().encode(m), as: UTF8.self)
        #expect(json.contains("\"macro_f1\"") && json.contains("\"confusion\":[[1,0,0],[0,1,0],[0,1,1]]"))
    }

    @Test func aLongTableBecomesOneLabelledSequencePerId() throws {
        try withTemporaryDirectory { dir in
            let path = try write(
                "id,t,x,y,label\nb,2,3,30,up\na,1,1,10,down\nb,1,2,20,up\na,2,4,40,down\nc,1,5,50,up\n", to: "g.csv", in: dir)
            let table = try CSVTable.load(
                path: path, numeric: .allNumeric(except: ["id", "t", "label"]), text: ["id", "label"], time: "t", groupedBy: "id")
            let set = try GroupedSequences(table, id: "id", label: "label")
            #expect(set.features == ["x", "y"] && set.classes == ["down", "up"])
            #expect(set.ids == ["b", "a", "c"] && set.labels == [1, 0, 1])
            #expect(set.sequences == [[[2, 20], [3, 30]], [[1, 10], [4, 40]], [[5, 50]]])
            let batch = try ManyToOneModel.Batch(sequences: set.sequences, labels: set.labels)
            #expect(batch.batchSize == 3 && batch.lengths == [2, 2, 1])

            let bad = try write("id,x,label\na,1,up\na,2,down\n", to: "bad.csv", in: dir)
            let badTable = try CSVTable.load(path: bad, numeric: .named(["x"]), text: ["id", "label"])
            do {
                _ = try GroupedSequences(badTable, id: "id", label: "label")
                Issue.record("two labels for one id were accepted")
            } catch {
                #expect("\(error)".contains("line 3: the label 'down' of id 'a' differs from its first row's ('up', line 2)"), "\(error)")
            }
        }
    }
}
