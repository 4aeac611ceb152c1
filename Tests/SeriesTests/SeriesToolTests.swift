import Foundation
import Linalg
import RNN
import RNNTraining
import Testing
import ToolTesting

#if canImport(Glibc)
    import Glibc
#endif

/// `series` on small generated files: train → eval → predict for a forecaster (point and
/// quantiles) and a classifier, and bad input as one `error:` line with nothing written.
@Suite(.precision(.fp32)) struct SeriesToolTests {
    /// 400 daily rows: a trend, a weekly season, a temperature covariate and noise (seeded).
    static func dailyCSV() -> String {
        var state: UInt64 = 12345
        func noise() -> Double {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Double(state >> 11) / Double(1 << 53) - 0.5
        }
        var text = "date,load,temperature\n"
        var day = DateComponents(
            calendar: Calendar(identifier: .gregorian), timeZone: TimeZone(identifier: "UTC"), year: 2021, month: 1, day: 1
        ).date!
        let formatter = DateFormatter()
        formatter.dateFormat = "yyyy-MM-dd"
        formatter.timeZone = TimeZone(identifier: "UTC")
        for t in 0..<400 {
            let temperature = 10 + 8 * sin(2 * Double.pi * Double(t) / 365) + noise()
            let load = 100 + 0.05 * Double(t) + 10 * sin(2 * Double.pi * Double(t) / 7) + 0.8 * temperature + 2 * noise()
            text += "\(formatter.string(from: day)),\(String(format: "%.3f", load)),\(String(format: "%.2f", temperature))\n"
            day += 86_400
        }
        return text
    }

    static func run(_ arguments: [String], in dir: String) throws -> ToolProcess.Result {
        try ToolProcess.run(arguments, in: dir, timeout: 120, tool: .series)
    }

    @Test func aForecasterTrainsEvaluatesAndPredicts() throws {
        try withTemporaryDirectory { dir in
            _ = try write(Self.dailyCSV(), to: "daily.csv", in: dir)
            let train = try Self.run(
                [
                    "train", "--csv", "daily.csv", "--target", "load", "--time", "date", "--window", "14", "--horizon", "7",
                    "--seasonality", "7", "--difference", "1", "--epochs", "6", "--hidden-size", "32", "--checkpoint", "m.safetensors",
                ], in: dir)
            #expect(train.status == 0, "\(train)")
            #expect(train.stderr.contains("series: forecasting load 7 steps ahead from 14 (inputs: load, temperature)"), "\(train)")
            #expect(train.stderr.contains("data: 400 rows of 'daily.csv', daily; train 320 rows"), "\(train)")
            #expect(train.stderr.contains("epoch 6/6: train loss "), "\(train)")

            let eval = try Self.run(["eval", "--checkpoint", "m.safetensors", "--csv", "daily.csv", "--json"], in: dir)
            #expect(eval.status == 0, "\(eval)")
            let json = try JSONSerialization.jsonObject(with: Data(eval.stdout.utf8)) as! [String: Any]
            let model = json["model"] as! [String: Double], seasonal = json["seasonal_naive"] as! [String: Double]
            let naive = json["naive"] as! [String: Double]
            #expect(json["origins"] as? Int == 34 && json["first_row"] as? Int == 361, "\(json)")
            #expect(model["mase"]! < naive["mase"]!, "\(json)")
            #expect(seasonal["count"] == 238 && model["count"] == 238, "\(json)")
            let table = try Self.run(["eval", "--checkpoint", "m.safetensors", "--csv", "daily.csv", "--test-from", "300"], in: dir)
            #expect(table.stdout.contains("95 forecast origins from row 300, 7 steps each (m = 7)"), "\(table)")
            #expect(table.stdout.contains("seasonal naive"), "\(table)")

            let predict = try Self.run(
                ["predict", "--checkpoint", "m.safetensors", "--csv", "daily.csv", "--output", "next.csv", "--plot", "next.svg"], in: dir)
            #expect(predict.status == 0 && predict.stdout.isEmpty, "\(predict)")
            let rows = try String(contentsOfFile: dir + "/next.csv", encoding: .utf8).split(separator: "\n")
            #expect(rows.count == 8 && rows[0] == "step,date,load" && rows[1].hasPrefix("1,2022-02-05,"), "\(rows)")
            let values = rows.dropFirst().map { Double($0.split(separator: ",")[2])! }
            #expect(values.allSatisfy { $0 > 80 && $0 < 160 }, "\(values)")
            let svg = try String(contentsOfFile: dir + "/next.svg", encoding: .utf8)
            #expect(svg.hasPrefix("<svg") && svg.contains("forecast origin"))
        }
    }

    /// `--precision bf16` on train, eval and predict: the forecaster trained in bf16 beats
    /// the naive forecast, and its bf16 evaluation gives fp32's MAE within 2%. Refused,
    /// writing nothing, on a CPU without bf16 hardware.
    @Test func aForecasterTrainsEvaluatesAndPredictsInBF16() throws {
        try withTemporaryDirectory { dir in
            _ = try write(Self.dailyCSV(), to: "daily.csv", in: dir)
            let train = [
                "train", "--csv", "daily.csv", "--target", "load", "--time", "date", "--window", "14", "--horizon", "7",
                "--seasonality", "7", "--difference", "1", "--epochs", "6", "--hidden-size", "32", "--checkpoint", "b.safetensors",
            ]
            let eval = ["eval", "--checkpoint", "b.safetensors", "--csv", "daily.csv", "--json"]
            let predict = ["predict", "--checkpoint", "b.safetensors", "--csv", "daily.csv"]
            guard BF16Support.current.isAvailable else {
                return try expectBF16Refused([train, eval, predict], output: dir + "/b.safetensors") { try Self.run($0, in: dir) }
            }
            let trained = try Self.run(train + ["--precision", "bf16"], in: dir)
            #expect(trained.status == 0 && trained.stderr.contains(", bf16\n"), "\(trained)")
            func model(_ precision: String) throws -> [String: Double] {
                let r = try Self.run(eval + ["--precision", precision], in: dir)
                #expect(r.status == 0, "\(r)")
                let json = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as! [String: Any]
                #expect(json["model"] != nil, "\(json)")
                if precision == "bf16" {
                    let naive = json["naive"] as! [String: Double], model = json["model"] as! [String: Double]
                    #expect(model["mase"]! < naive["mase"]!, "\(json)")
                }
                return json["model"] as! [String: Double]
            }
            let bf16 = try model("bf16")["mae"]!, fp32 = try model("fp32")["mae"]!
            #expect(abs(bf16 - fp32) <= 0.02 * fp32 && bf16 != fp32, "MAE bf16 \(bf16), fp32 \(fp32)")
            let predicted = try Self.run(predict + ["--precision", "bf16"], in: dir)
            #expect(predicted.status == 0 && predicted.stdout.split(separator: "\n").count == 8, "\(predicted)")
        }
    }

    @Test func quantileForecastsGiveIntervalsAndCoverage() throws {
        try withTemporaryDirectory { dir in
            _ = try write(Self.dailyCSV(), to: "daily.csv", in: dir)
            let train = try Self.run(
                [
                    "train", "--csv", "daily.csv", "--target", "load", "--features", "temperature", "--time", "date", "--window", "14",
                    "--horizon", "3", "--seasonality", "7", "--loss", "quantile", "--quantiles", "0.1,0.5,0.9", "--epochs", "3",
                    "--hidden-size", "16", "--checkpoint", "q.safetensors",
                ], in: dir)
            #expect(train.status == 0, "\(train)")
            let eval = try Self.run(["eval", "--checkpoint", "q.safetensors", "--csv", "daily.csv"], in: dir)
            #expect(eval.stdout.contains("coverage") && eval.stdout.contains("0.1–0.9 quantile forecasts"), "\(eval)")
            let predict = try Self.run(["predict", "--checkpoint", "q.safetensors", "--csv", "daily.csv"], in: dir)
            let rows = predict.stdout.split(separator: "\n")
            #expect(rows.first == "step,date,load_q0.1,load_q0.5,load_q0.9" && rows.count == 4, "\(predict)")
        }
    }

    @Test func aClassifierLabelsTheSequencesOfALongTable() throws {
        try withTemporaryDirectory { dir in
            var text = "id,t,a,b,gesture\n"
            var state: UInt64 = 99
            func noise() -> Double {
                state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
                return Double(state >> 11) / Double(1 << 53) - 0.5
            }
            for s in 0..<120 {
                let wave = s % 2 == 0, length = 6 + s % 9, phase = 6.28 * (noise() + 0.5)
                for t in 0..<length {
                    let a = sin((wave ? 0.5 : 1.4) * Double(t) + phase) + 0.1 * noise()
                    text += "g\(s),\(t),\(String(format: "%.4f", a)),\(String(format: "%.4f", noise())),\(wave ? "wave" : "circle")\n"
                }
            }
            _ = try write(text, to: "g.csv", in: dir)
            let train = try Self.run(
                [
                    "train", "--csv", "g.csv", "--task", "classify", "--id", "id", "--label", "gesture", "--time", "t", "--epochs", "15",
                    "--hidden-size", "24", "--lr", "0.01", "--checkpoint", "g.safetensors",
                ], in: dir)
            #expect(train.status == 0, "\(train)")
            let eval = try Self.run(["eval", "--checkpoint", "g.safetensors", "--csv", "g.csv", "--json"], in: dir)
            let json = try JSONSerialization.jsonObject(with: Data(eval.stdout.utf8)) as! [String: Any]
            #expect((json["accuracy"] as! Double) >= 0.95, "\(eval)")
            #expect(json["classes"] as? [String] == ["circle", "wave"], "\(eval)")
            #expect((json["confusion"] as! [[Int]]).flatMap { $0 }.reduce(0, +) == 120, "\(eval)")
            let predict = try Self.run(["predict", "--checkpoint", "g.safetensors", "--csv", "g.csv"], in: dir)
            let rows = predict.stdout.split(separator: "\n")
            #expect(rows.count == 121 && rows[0] == "id,gesture" && rows[1].hasPrefix("g0,"), "\(predict)")

            // 8 epochs, then --resume to 15, give the weights of 15 in one run.
            let options = [
                "train", "--csv", "g.csv", "--task", "classify", "--id", "id", "--label", "gesture", "--time", "t", "--hidden-size", "24",
                "--lr", "0.01", "--dropout", "0.1",
            ]
            #expect(try Self.run(options + ["--epochs", "8", "--checkpoint", "half.safetensors"], in: dir).status == 0)
            #expect(try Self.run(options + ["--epochs", "15", "--checkpoint", "full.safetensors"], in: dir).status == 0)
            let resumed = try Self.run(
                ["train", "--csv", "g.csv", "--resume", "half.safetensors", "--epochs", "15", "--checkpoint", "resumed.safetensors"],
                in: dir)
            #expect(resumed.status == 0 && resumed.stderr.contains("resuming 'half.safetensors' after epoch 8"), "\(resumed)")
            let full = try ModelCheckpoint<ManyToOneModel>.read(path: dir + "/full.safetensors").model.parameters.values
            let again = try ModelCheckpoint<ManyToOneModel>.read(path: dir + "/resumed.safetensors").model.parameters.values
            #expect(full == again)
        }
    }

    @Test func badInputIsOneErrorLineAndNoCheckpoint() throws {
        try withTemporaryDirectory { dir in
            _ = try write(Self.dailyCSV(), to: "daily.csv", in: dir)
            _ = try write("date,load\n2024-01-01,1\n2024-01-03,2\n2024-01-04,3\n", to: "gap.csv", in: dir)
            _ = try write("date,load\n2024-01-01,1\n2024-01-02,\n2024-01-03,3\n", to: "missing.csv", in: dir)
            let cases: [([String], String)] = [
                (["--csv", "nope.csv", "--target", "load"], "--csv 'nope.csv': cannot read it: no such file"),
                (["--csv", "daily.csv", "--target", "lod"], "--target 'lod': 'daily.csv' has no such column"),
                (["--csv", "daily.csv"], "--task forecast needs --target COLUMN"),
                (["--csv", "daily.csv", "--target", "load", "--window", "5000"], "hold no window of --window 5000"),
                (["--csv", "gap.csv", "--target", "load", "--time", "date"], "line 4: the time column 'date' is not regularly spaced"),
                (["--csv", "missing.csv", "--target", "load", "--time", "date"], "line 3, column 2: column 'load' has a missing value"),
                (["--csv", "daily.csv", "--target", "load", "--loss", "quantile", "--quantiles", "0.9,0.1"], "not strictly ascending"),
                (["--csv", "daily.csv", "--task", "classify", "--id", "date"], "--task classify needs --id COLUMN and --label COLUMN"),
            ]
            for (arguments, message) in cases {
                let r = try Self.run(["train"] + arguments + ["--checkpoint", "x.safetensors"], in: dir)
                #expect(r.status != 0 && r.stderr.hasPrefix("error: ") && r.stderr.contains(message), "\(arguments): \(r)")
                #expect(!r.stderr.contains("Backtrac"), "\(arguments): \(r)")
            }
            #expect(!FileManager.default.fileExists(atPath: dir + "/x.safetensors"))
            // A --test-from so late that no horizon fits after it: an error line, not a trap.
            let late = [
                "train", "--csv", "daily.csv", "--target", "load", "--time", "date", "--window", "7", "--horizon", "3", "--epochs", "1",
                "--hidden-size", "4", "--checkpoint", "late.safetensors",
            ]
            #expect(try Self.run(late, in: dir).status == 0)
            let tooLate = try Self.run(["eval", "--checkpoint", "late.safetensors", "--csv", "daily.csv", "--test-from", "399"], in: dir)
            #expect(tooLate.status == 1 && tooLate.stderr.hasPrefix("error: no forecast origin from row 399"), "\(tooLate)")
            let missing = try Self.run(["eval", "--checkpoint", "none.safetensors", "--csv", "daily.csv"], in: dir)
            #expect(missing.status != 0 && missing.stderr.contains("does not exist; train one with: series train"), "\(missing)")
        }
    }

    /// `series export`: the graph takes and returns real units — ONNX Runtime, fed the
    /// file's last window as it stands in the CSV, returns `series predict`'s forecast.
    @Test func anExportedForecasterTakesAndReturnsRealUnits() throws {
        try withTemporaryDirectory { dir in
            _ = try write(Self.dailyCSV(), to: "daily.csv", in: dir)
            let common = [
                "--csv", "daily.csv", "--target", "load", "--time", "date", "--window", "14", "--horizon", "3",
                "--seasonality", "7", "--epochs", "2", "--hidden-size", "8",
            ]
            #expect(try Self.run(["train"] + common + ["--checkpoint", "m.safetensors"], in: dir).status == 0)
            let export = try Self.run(["export", "--checkpoint", "m.safetensors", "--onnx", "m.onnx"], in: dir)
            #expect(export.status == 0, "\(export)")
            #expect(
                export.stdout.contains("inputs    inputs: float[T, B, 2], lengths: int32[B] (optional), h0: float[1, B, 8] (optional)"),
                "\(export)")
            #expect(export.stdout.contains("outputs   outputs: float[B, 3], hn: float[1, B, 8], cn: float[1, B, 8]"), "\(export)")
            let differenced = try Self.run(["train"] + common + ["--difference", "1", "--checkpoint", "d.safetensors"], in: dir)
            #expect(differenced.status == 0, "\(differenced)")
            let refused = try Self.run(["export", "--checkpoint", "d.safetensors", "--onnx", "d.onnx"], in: dir)
            #expect(refused.status != 0 && refused.stderr.contains("forecasts differences (--difference 1)"), "\(refused)")
            #expect(!FileManager.default.fileExists(atPath: dir + "/d.onnx"))

            guard ONNXPython.oracle.path != nil else { return }  // the rest needs ONNX Runtime
            let predict = try Self.run(["predict", "--checkpoint", "m.safetensors", "--csv", "daily.csv"], in: dir)
            let script = try write(
                """
                import csv, json, numpy as np, onnxruntime as ort
                ort.set_default_logger_severity(3)
                s = ort.InferenceSession("m.onnx")
                meta = s.get_modelmeta().custom_metadata_map
                columns = json.loads(meta["input_columns"])
                rows = list(csv.DictReader(open("daily.csv")))[-14:]
                x = np.array([[float(r[c]) for c in columns] for r in rows], dtype=np.float32).reshape(14, 1, len(columns))
                print(",".join(f"{v:.4f}" for v in s.run(None, {"inputs": x})[0][0]))
                """, to: "check.py", in: dir)
            let (status, output) = try ONNXPython.oracle.run(file: script, in: dir)
            #expect(status == 0, "\(output)")
            let runtime = output.split(separator: "\n").last!.split(separator: ",").map { Double($0)! }
            let predicted = predict.stdout.split(separator: "\n").dropFirst().map { Double($0.split(separator: ",")[2])! }
            #expect(runtime.count == 3 && zip(runtime, predicted).allSatisfy { abs($0 - $1) < 1e-3 }, "\(runtime) vs \(predicted)")
        }
    }

    /// Two epochs, then `--resume` to four, equal four in one run: the same forecasts to
    /// the last digit. And Ctrl-C saves a checkpoint that resumes.
    @Test func aResumedRunEqualsTheUninterruptedOneAndCtrlCSaves() throws {
        try withTemporaryDirectory { dir in
            _ = try write(Self.dailyCSV(), to: "daily.csv", in: dir)
            let common = [
                "--csv", "daily.csv", "--target", "load", "--time", "date", "--window", "14", "--horizon", "3",
                "--seasonality", "7", "--hidden-size", "8", "--dropout", "0.1",
            ]
            #expect(try Self.run(["train"] + common + ["--epochs", "4", "--checkpoint", "full.safetensors"], in: dir).status == 0)
            #expect(try Self.run(["train"] + common + ["--epochs", "2", "--checkpoint", "half.safetensors"], in: dir).status == 0)
            let resumed = try Self.run(
                [
                    "train", "--csv", "daily.csv", "--resume", "half.safetensors", "--epochs", "4", "--checkpoint", "resumed.safetensors",
                    "--history", "h.csv", "--plot", "h.svg",
                ], in: dir)
            #expect(
                resumed.status == 0 && resumed.stderr.contains("series: resuming 'half.safetensors' after epoch 2, to epoch 4"),
                "\(resumed)")
            // The history holds the resumed run's epochs and the ones before it.
            let history = try String(contentsOfFile: dir + "/h.csv", encoding: .utf8).split(separator: "\n")
            #expect(history.count == 5 && history[0] == "epoch,train_loss,validation_loss,seconds", "\(history)")
            #expect(history.dropFirst().map { $0.split(separator: ",")[0] } == ["1", "2", "3", "4"], "\(history)")
            #expect(try String(contentsOfFile: dir + "/h.svg", encoding: .utf8).contains("validation loss"))
            let a = try Self.run(["predict", "--checkpoint", "full.safetensors", "--csv", "daily.csv"], in: dir)
            let b = try Self.run(["predict", "--checkpoint", "resumed.safetensors", "--csv", "daily.csv"], in: dir)
            #expect(a.status == 0 && a.stdout == b.stdout, "\(a.stdout) vs \(b.stdout)")
            let done = try Self.run(
                ["train", "--csv", "daily.csv", "--resume", "full.safetensors", "--epochs", "4", "--checkpoint", "x.safetensors"], in: dir)
            #expect(done.status != 0 && done.stderr.contains("has trained 4 epochs already; give --epochs above that"), "\(done)")

            let stopped = try ToolProcess.signaledAfterFirstStep(
                ["train"] + common + ["--epochs", "100000", "--checkpoint", "stopped.safetensors"], SIGINT, in: dir, tool: .series,
                marker: "epoch 1/")
            #expect(stopped.status == 130, "\(stopped)")
            #expect(
                stopped.stderr.contains("series: stopped by Ctrl-C at epoch ") && stopped.stderr.contains("--resume stopped.safetensors"),
                "\(stopped)")
            let more = try Self.run(
                [
                    "train", "--csv", "daily.csv", "--resume", "stopped.safetensors", "--epochs", "100000", "--checkpoint",
                    "more.safetensors",
                ]
                .map { $0 == "100000" ? "\(Int(stopped.stderr.components(separatedBy: "at epoch ")[1].prefix { $0.isNumber })! + 1)" : $0 },
                in: dir)
            #expect(more.status == 0 && more.stdout.contains("saved more.safetensors"), "\(more)")
        }
    }

    /// `--decoder autoregressive`: trains, evaluates beside the baselines, predicts, resumes
    /// exactly, exports its two graphs; a bidirectional window is refused with the reason.
    @Test func anAutoregressiveForecasterTrainsPredictsAndResumes() throws {
        try withTemporaryDirectory { dir in
            _ = try write(Self.dailyCSV(), to: "daily.csv", in: dir)
            let common = [
                "--csv", "daily.csv", "--target", "load", "--time", "date", "--window", "14", "--horizon", "3", "--seasonality", "7",
                "--hidden-size", "8", "--num-layers", "2", "--dropout", "0.2", "--decoder", "autoregressive",
            ]
            let full = try Self.run(["train"] + common + ["--epochs", "4", "--checkpoint", "full.safetensors"], in: dir)
            #expect(full.status == 0 && full.stderr.contains("autoregressive decoder"), "\(full)")
            #expect(try Self.run(["train"] + common + ["--epochs", "2", "--checkpoint", "half.safetensors"], in: dir).status == 0)
            let resumed = try Self.run(
                ["train", "--csv", "daily.csv", "--resume", "half.safetensors", "--epochs", "4", "--checkpoint", "resumed.safetensors"],
                in: dir)
            #expect(resumed.status == 0, "\(resumed)")
            let a = try Self.run(["predict", "--checkpoint", "full.safetensors", "--csv", "daily.csv"], in: dir)
            let b = try Self.run(["predict", "--checkpoint", "resumed.safetensors", "--csv", "daily.csv"], in: dir)
            #expect(a.status == 0 && a.stdout == b.stdout && a.stdout.split(separator: "\n").count == 4, "\(a.stdout) vs \(b.stdout)")
            let eval = try Self.run(["eval", "--checkpoint", "full.safetensors", "--csv", "daily.csv"], in: dir)
            #expect(eval.stdout.contains("autoregressive") && eval.stdout.contains("seasonal naive"), "\(eval)")
            let export = try Self.run(["export", "--checkpoint", "full.safetensors", "--onnx", "ar.onnx"], in: dir)
            #expect(export.status == 0, "\(export)")
            #expect(
                export.stdout.contains("wrote       ar.encoder.onnx (encoder)")
                    && export.stdout.contains("wrote       ar.decoder.onnx (decoder)"), "\(export)")
            #expect(export.stdout.contains("outputs   outputs: float[T, B, 1], hn: float[2, B, 8], cn: float[2, B, 8]"), "\(export)")
            if ONNXPython.oracle.path != nil {
                // ONNX Runtime steps the two graphs as a deployment would: series predict's forecast.
                let script = try write(
                    """
                    import csv, json, numpy as np, onnxruntime as ort
                    ort.set_default_logger_severity(3)
                    enc, dec = ort.InferenceSession("ar.encoder.onnx"), ort.InferenceSession("ar.decoder.onnx")
                    columns = json.loads(enc.get_modelmeta().custom_metadata_map["input_columns"])
                    rows = list(csv.DictReader(open("daily.csv")))[-14:]
                    x = np.array([[float(r[c]) for c in columns] for r in rows], dtype=np.float32).reshape(14, 1, len(columns))
                    h, c = enc.run(None, {"inputs": x})
                    previous, out = x[-1:, :, :1], []
                    for _ in range(3):
                        y, h, c = dec.run(None, {"inputs": previous, "h0": h, "c0": c})
                        out.append(float(y[0, 0, 0]))
                        previous = y[:, :, :1]
                    print(",".join(f"{v:.4f}" for v in out))
                    """, to: "steps.py", in: dir)
                let (status, output) = try ONNXPython.oracle.run(file: script, in: dir)
                #expect(status == 0, "\(output)")
                let runtime = output.split(separator: "\n").last!.split(separator: ",").map { Double($0)! }
                let predicted = a.stdout.split(separator: "\n").dropFirst().map { Double($0.split(separator: ",")[2])! }
                #expect(runtime.count == 3 && zip(runtime, predicted).allSatisfy { abs($0 - $1) < 1e-3 }, "\(runtime) vs \(predicted)")
            }
            let bidirectional = try Self.run(["train"] + common + ["--bidirectional", "--checkpoint", "x.safetensors"], in: dir)
            #expect(bidirectional.status != 0 && bidirectional.stderr.contains("runs forward only"), "\(bidirectional)")
        }
    }
}
