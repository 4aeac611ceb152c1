import Foundation
import Linalg

/// What the report says about the machine: its CPU, how many processors OpenBLAS sees,
/// and how busy it was (the 1-minute load average from `/proc/loadavg`). The bench shares
/// the machine with whatever else runs, so a load average near the core count before a
/// run means its timings are noisy; the report prints a warning then.
enum Machine {
    /// The variant of the C kernels (activations, gates, softmax, Adam) that runs.
    static var elementwiseKernels: String { KernelVariant.current.displayName }

    static var processors: Int { ComputeThreads.processorCount }

    /// The CPU model from `/proc/cpuinfo`, or "unknown CPU".
    static var cpuModel: String {
        guard let info = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8) else { return "unknown CPU" }
        for line in info.split(separator: "\n") where line.hasPrefix("model name") {
            if let colon = line.firstIndex(of: ":") {
                return line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            }
        }
        return "unknown CPU"
    }

    /// The 1-minute load average, or nil where `/proc/loadavg` does not exist.
    static var loadAverage: Double? {
        guard let text = try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8),
            let first = text.split(separator: " ").first
        else { return nil }
        return Double(first)
    }

    /// The share of all processors (0...1) that other processes kept busy over the next
    /// `seconds` (sampled from `/proc/stat` while this process sleeps), or nil where
    /// `/proc/stat` does not exist. Unlike the load average, it reflects the present moment.
    static func busyFraction(over seconds: Double = 0.5) -> Double? {
        func sample() -> (idle: Double, total: Double)? {
            guard let text = try? String(contentsOfFile: "/proc/stat", encoding: .utf8),
                let line = text.split(separator: "\n").first, line.hasPrefix("cpu ")
            else { return nil }
            let v = line.split(separator: " ").dropFirst().compactMap { Double($0) }
            guard v.count >= 5 else { return nil }
            return (v[3] + v[4], v.reduce(0, +))  // idle + iowait, all
        }
        guard let a = sample() else { return nil }
        Thread.sleep(forTimeInterval: seconds)
        guard let b = sample(), b.total > a.total else { return nil }
        return max(0, 1 - (b.idle - a.idle) / (b.total - a.total))
    }

    /// A warning when other processes kept more than 20% of the machine busy just before a
    /// run, else nil.
    static func busyWarning(busyFraction: Double?, loadAverage: Double?) -> String? {
        guard let busy = busyFraction, busy > 0.2 else { return nil }
        let load = loadAverage.map { String(format: ", 1-minute load average %.2f", $0) } ?? ""
        return "note: other processes kept \(Int((100 * busy).rounded()))% of the \(processors) processors busy "
            + "just before this run\(load); timings will be noisy and thread scaling understated."
    }

    /// CPU time counters, to tell how much of the machine other processes used during a run:
    /// all processors' busy time (`/proc/stat`) minus this process's own (`/proc/self/stat`).
    struct CPUSnapshot {
        var machineBusySeconds: Double
        var ownSeconds: Double
        var wall: ContinuousClock.Instant

        /// nil where `/proc` is missing.
        static func now() -> CPUSnapshot? {
            let ticks = 100.0  // USER_HZ, the unit of both files
            guard let stat = try? String(contentsOfFile: "/proc/stat", encoding: .utf8),
                let line = stat.split(separator: "\n").first, line.hasPrefix("cpu "),
                let own = try? String(contentsOfFile: "/proc/self/stat", encoding: .utf8),
                let paren = own.lastIndex(of: ")")
            else { return nil }
            let v = line.split(separator: " ").dropFirst().compactMap { Double($0) }
            let fields = own[own.index(after: paren)...].split(separator: " ")
            guard v.count >= 5, fields.count > 12, let utime = Double(fields[11]), let stime = Double(fields[12])
            else { return nil }
            let busy = v.reduce(0, +) - v[3] - v[4]  // all but idle and iowait
            return CPUSnapshot(
                machineBusySeconds: busy / ticks, ownSeconds: (utime + stime) / ticks,
                wall: ContinuousClock.now)
        }

        /// The share (0...1) of all processors that other processes used since `start`, or nil
        /// when less than a second passed (both files count in 10-ms ticks, sampled separately).
        func othersShare(since start: CPUSnapshot) -> Double? {
            let wall = (wall - start.wall).seconds
            guard wall >= 1 else { return nil }
            let others = (machineBusySeconds - start.machineBusySeconds) - (ownSeconds - start.ownSeconds)
            return min(1, max(0, others / (wall * Double(Machine.processors))))
        }
    }
}
