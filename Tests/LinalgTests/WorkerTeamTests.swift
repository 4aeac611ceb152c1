import Foundation
import Linalg
import Testing

/// `WorkerTeam`: every rank runs, the barrier orders the steps, the shares cover the range,
/// and the team works again after its helpers have gone to sleep.
struct WorkerTeamTests {
    /// Each step, every rank writes its slot from the previous step's slots of all ranks:
    /// a barrier that let a rank run ahead would read a slot of the wrong step.
    @Test(arguments: [1, 2, 3, 4])
    func stepsSeparatedByBarriersMatchTheSequentialRecurrence(_ size: Int) {
        let team = WorkerTeam(size: size)
        let steps = 2000
        let values = UnsafeMutablePointer<Int>.allocate(capacity: (steps + 1) * size)
        defer { values.deallocate() }
        for r in 0..<size { values[r] = r + 1 }
        team.run { rank in
            for t in 1...steps {
                var sum = 0
                for r in 0..<size { sum &+= values[(t - 1) * size + r] }
                values[t * size + rank] = (sum &* 31 &+ rank) % 1_000_003
                team.barrier()
            }
        }
        var expected = (0..<size).map { $0 + 1 }
        for _ in 1...steps {
            let sum = expected.reduce(0, &+)
            expected = (0..<size).map { (sum &* 31 &+ $0) % 1_000_003 }
        }
        #expect((0..<size).map { values[steps * size + $0] } == expected)
    }

    /// A lost wake-up would hang the run: the time limit turns that into a failure.
    @Test(.timeLimit(.minutes(1))) func everyRankRunsOncePerRunAndWakesAfterSleeping() {
        let team = WorkerTeam(size: 3)
        let counts = UnsafeMutablePointer<Int>.allocate(capacity: 3)
        defer { counts.deallocate() }
        counts.initialize(repeating: 0, count: 3)
        for round in 0..<50 {
            team.run { rank in counts[rank] += 1 }
            if round % 10 == 9 { usleep(30_000) }  // long enough for the helpers to sleep
        }
        #expect((0..<3).map { counts[$0] } == [50, 50, 50])
    }

    @Test func sharesCoverTheRangeInOrderOnTheGranule() {
        for size in 1...5 {
            let team = WorkerTeam(size: size)
            for count in [0, 1, 5, 16, 40, 256, 1000] {
                let shares = (0..<size).map { team.share(of: count, rank: $0, granule: 16) }
                #expect(shares.first!.lowerBound == 0 && shares.last!.upperBound == count)
                for r in 1..<size { #expect(shares[r].lowerBound == shares[r - 1].upperBound) }
                for s in shares.dropLast() where s.upperBound < count { #expect(s.upperBound % 16 == 0) }
            }
        }
    }
}
