import CMPI
import Foundation
import Synchronization

/// The MPI world of a run started by `mpirun -np N`: this process's rank, the number of
/// ranks, and the few collectives data-parallel training needs, all in place on Swift
/// buffers. Errors are returned, not fatal (`MPI_ERRORS_RETURN`), and become
/// `DistributedError.mpi`; every collective is watched by a `CollectiveWatchdog`, so a
/// rank that has died or hangs ends the run with a clear error instead of a hang.
///
/// ```swift
/// let world = try Communicator.world()          // MPI_Init_thread once per process
/// try world.allReduceSum(&gradients)            // Σ over ranks, in place
/// world.finish()                                // MPI_Finalize, before exit
/// ```
/// Only the calling (main) thread may use it (`MPI_THREAD_FUNNELED`): worker threads
/// compute, the main thread communicates.
public final class Communicator: @unchecked Sendable {
    /// This process's rank, `0..<size`; rank 0 prints and writes checkpoints.
    public let rank: Int
    /// The number of ranks.
    public let size: Int
    /// Bounds every collective's wait (see `CollectiveWatchdog`).
    public let watchdog: CollectiveWatchdog
    private let comm = cmpi_comm_world()

    private static let shared = Mutex<Communicator?>(nil)

    /// The world communicator, initializing MPI at the first call.
    /// - Parameter collectiveTimeout: seconds a single collective may wait for the other
    ///   ranks before this process stops with an error (see `CollectiveWatchdog`).
    /// - Throws: `.notLaunchedByMPI` without an MPI launcher (MPI is then not touched),
    ///   `.mpi` when initialization fails.
    public static func world(collectiveTimeout: Double = 300) throws(DistributedError) -> Communicator {
        let result: Result<Communicator, DistributedError> = shared.withLock { existing in
            if let existing { return .success(existing) }
            guard MPILaunch.isPresent else { return .failure(.notLaunchedByMPI) }
            var provided: Int32 = 0
            let code = MPI_Init_thread(nil, nil, cmpi_thread_funneled(), &provided)
            guard code == cmpi_success() else { return .failure(.mpi(call: "MPI_Init_thread", message: "error \(code)")) }
            let world = cmpi_comm_world()
            _ = MPI_Comm_set_errhandler(world, cmpi_errors_return())
            var rank: Int32 = 0, size: Int32 = 0
            _ = MPI_Comm_rank(world, &rank)
            _ = MPI_Comm_size(world, &size)
            let made = Communicator(rank: Int(rank), size: Int(size), timeout: collectiveTimeout)
            existing = made
            return .success(made)
        }
        return try result.get()
    }

    private init(rank: Int, size: Int, timeout: Double) {
        self.rank = rank
        self.size = size
        watchdog = CollectiveWatchdog(rank: rank, ranks: size, timeout: timeout)
    }

    /// Whether this is rank 0.
    public var isRoot: Bool { rank == 0 }

    /// Ends MPI (`MPI_Finalize`) after the ranks' last collective; call once, before exit.
    public func finish() {
        var finalized: Int32 = 0
        _ = MPI_Finalized(&finalized)
        if finalized == 0 { _ = MPI_Finalize() }
    }

    /// Ends every rank of the run at once (`MPI_Abort`) with exit status `code`: for an
    /// error one rank met alone, when the others might wait for it forever.
    public func abort(code: Int32) -> Never {
        _ = MPI_Abort(comm, code)
        exit(code)
    }

    // MARK: - Collectives (every rank calls each, in the same order)

    /// `buffer[i] = Σ_ranks buffer[i]`, in place (one `MPI_Allreduce`).
    /// - Complexity: ring all-reduce: about `2(N−1)/N · 4·count` bytes sent per rank.
    public func allReduceSum(_ buffer: UnsafeMutableBufferPointer<Float>) throws(DistributedError) {
        precondition(buffer.count <= Int(Int32.max), "\(buffer.count) values in one MPI_Allreduce")
        try call("MPI_Allreduce") {
            MPI_Allreduce(cmpi_in_place(), buffer.baseAddress, Int32(buffer.count), cmpi_float(), cmpi_sum(), comm)
        }
    }

    /// `values[i] = Σ_ranks values[i]` for a few doubles (losses, counts, flags).
    public func allReduceSum(_ values: inout [Double]) throws(DistributedError) {
        let comm = self.comm
        try values.withUnsafeMutableBufferPointer { (p) throws(DistributedError) in
            try call("MPI_Allreduce") {
                MPI_Allreduce(cmpi_in_place(), p.baseAddress, Int32(p.count), cmpi_double(), cmpi_sum(), comm)
            }
        }
    }

    /// Rank `root`'s `buffer` into every rank's (same count on every rank).
    public func broadcast(_ buffer: UnsafeMutableBufferPointer<Float>, from root: Int = 0) throws(DistributedError) {
        try call("MPI_Bcast") { MPI_Bcast(buffer.baseAddress, Int32(buffer.count), cmpi_float(), Int32(root), comm) }
    }

    /// Rank `root`'s `values` into every rank's (same count on every rank).
    public func broadcast(_ values: inout [UInt32], from root: Int = 0) throws(DistributedError) {
        let comm = self.comm
        try values.withUnsafeMutableBufferPointer { (p) throws(DistributedError) in
            try call("MPI_Bcast") { MPI_Bcast(p.baseAddress, Int32(p.count), cmpi_uint32(), Int32(root), comm) }
        }
    }

    /// Rank `root`'s `values` into every rank's (same count on every rank).
    public func broadcast(_ values: inout [Double], from root: Int = 0) throws(DistributedError) {
        let comm = self.comm
        try values.withUnsafeMutableBufferPointer { (p) throws(DistributedError) in
            try call("MPI_Bcast") { MPI_Bcast(p.baseAddress, Int32(p.count), cmpi_double(), Int32(root), comm) }
        }
    }

    /// Every rank's `local` (`counts[r]` values from rank `r`) concatenated in rank order on
    /// `root` (nil on the other ranks): one `MPI_Gatherv`.
    public func gather(_ local: [Float], counts: [Int], root: Int = 0) throws(DistributedError) -> [[Float]]? {
        precondition(counts.count == size && counts[rank] == local.count, "gather: \(local.count) values, counts \(counts)")
        let counts32 = counts.map { Int32($0) }
        var offsets = [Int32](repeating: 0, count: size)
        for r in 1..<max(size, 1) where r < size { offsets[r] = offsets[r - 1] + counts32[r - 1] }
        var all = [Float](repeating: 0, count: rank == root ? counts.reduce(0, +) : 0)
        let comm = self.comm
        try local.withUnsafeBufferPointer { (src) throws(DistributedError) in
            try all.withUnsafeMutableBufferPointer { (dst) throws(DistributedError) in
                try call("MPI_Gatherv") {
                    MPI_Gatherv(
                        src.baseAddress, Int32(src.count), cmpi_float(), dst.baseAddress, counts32, offsets,
                        cmpi_float(), Int32(root), comm)
                }
            }
        }
        guard rank == root else { return nil }
        return (0..<size).map { r in Array(all[Int(offsets[r])..<Int(offsets[r]) + counts[r]]) }
    }

    /// Waits until every rank has called it.
    public func barrier() throws(DistributedError) {
        try call("MPI_Barrier") { MPI_Barrier(comm) }
    }

    /// Waits until every rank has called it, mostly asleep: a non-blocking barrier tested
    /// every `interval` seconds, so that a waiting rank leaves its core to the others (an
    /// `MPI_Barrier` spins). For timing one rank alone while the others wait.
    public func sleepingBarrier(interval: Double = 0.01) throws(DistributedError) {
        var request: MPI_Request? = nil
        try call("MPI_Ibarrier") { MPI_Ibarrier(comm, &request) }
        var done: Int32 = 0
        while done == 0 {
            try call("MPI_Test") { MPI_Test(&request, &done, cmpi_status_ignore()) }
            if done == 0 { usleep(UInt32(interval * 1e6)) }
        }
    }

    /// Runs one MPI call under the watchdog and turns its error code into `.mpi`.
    private func call(_ name: String, _ body: () -> Int32) throws(DistributedError) {
        let code = watchdog.watch(name, body)
        guard code != cmpi_success() else { return }
        var text = [CChar](repeating: 0, count: Int(cmpi_max_error_string()) + 1)
        var length: Int32 = 0
        _ = MPI_Error_string(code, &text, &length)
        let bytes = text.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }
        throw .mpi(call: name, message: String(decoding: bytes, as: UTF8.self))
    }
}
