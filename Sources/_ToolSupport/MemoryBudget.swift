import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// How much more memory this process may use, before a large allocation is planned: the
/// smallest of the machine's physical memory, what `RLIMIT_AS` leaves above the current
/// virtual size and `RLIMIT_DATA` above the current data segment (`ulimit -v`, `-d`), and
/// what the cgroup's `memory.max` leaves above its `memory.current` (containers,
/// systemd slices). An allocation past any of these fails or kills the process. Shared by
/// the tools (charrnn's workspaces and files, seq2seq's pairs and models).
package struct MemoryBudget {
    /// Bytes still available.
    package let bytes: Double
    /// What sets it: "this machine's memory", "the address-space limit (ulimit -v)", ...
    package let limit: String

    /// The budget now.
    package static func current() -> MemoryBudget {
        var best = MemoryBudget(bytes: Double(ProcessInfo.processInfo.physicalMemory), limit: "this machine's memory")
        func consider(_ bytes: Double, _ limit: String) {
            if bytes < best.bytes { best = MemoryBudget(bytes: max(bytes, 0), limit: limit) }
        }
        let page = Double(sysconf(Int32(_SC_PAGESIZE)))
        let statm =
            (try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8))?
            .split(separator: " ").compactMap { Double($0.trimmingCharacters(in: .whitespacesAndNewlines)) } ?? []
        var limit = rlimit()
        if getrlimit(Int32(RLIMIT_AS.rawValue), &limit) == 0, limit.rlim_cur != rlim_t.max {
            consider(Double(limit.rlim_cur) - (statm.first ?? 0) * page, "the address-space limit (ulimit -v)")
        }
        if getrlimit(Int32(RLIMIT_DATA.rawValue), &limit) == 0, limit.rlim_cur != rlim_t.max {
            consider(Double(limit.rlim_cur) - (statm.count > 5 ? statm[5] : 0) * page, "the data-segment limit (ulimit -d)")
        }
        if let (maximum, used) = cgroupMemory() {
            consider(maximum - used, "the cgroup's memory.max")
        }
        return best
    }

    /// The cgroup v2 `memory.max` and `memory.current` of this process, nil when
    /// unlimited or unknown.
    private static func cgroupMemory() -> (Double, Double)? {
        guard let membership = try? String(contentsOfFile: "/proc/self/cgroup", encoding: .utf8),
            let line = membership.split(separator: "\n").first(where: { $0.hasPrefix("0::") })
        else { return nil }
        let directory = "/sys/fs/cgroup" + line.dropFirst(3)
        func read(_ name: String) -> Double? {
            (try? String(contentsOfFile: directory + "/" + name, encoding: .utf8))
                .flatMap { Double($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
        }
        guard let maximum = read("memory.max"), let used = read("memory.current") else { return nil }  // "max": none
        return (maximum, used)
    }

    /// Refuses `bytes` that would not fit in 80% of the budget now, with the message
    /// "<what> needs about 3.2 GB of memory<detail>, more than <limit> leaves (2.0 GB); <hint>".
    package static func require(_ bytes: Double, _ what: String, detail: String = "", hint: String) throws {
        let budget = current()
        guard bytes < budget.bytes * 0.8 else {
            throw CLIError(
                "\(what) needs about \(format(bytes)) of memory\(detail), more than \(budget.limit) leaves (\(format(budget.bytes))); \(hint)"
            )
        }
    }

    /// "3.2 GB".
    package static func format(_ bytes: Double) -> String { String(format: "%.1f GB", bytes / 1e9) }
}
