import AltCLIPSupport
import Foundation
import Testing
@testable import AltCLIPTensor

/// The tensor core's loops are the process's one parallel loop (`ThreadBudget.forEachChunk`, whose
/// budget tests are in AltCLIPSupportTests), run on the OpenMP team when oneDNN computes. These tests
/// leave the process's budget alone (other suites run at the same time).
@Suite("Tensor threading")
struct ThreadingTests {
    final class Gauge: @unchecked Sendable {
        let lock = NSLock()
        var running = 0, peak = 0, runs = 0
        func enter() { lock.withLock { running += 1; peak = max(peak, running); runs += 1 } }
        func leave() { lock.withLock { running -= 1 } }
    }

    /// The OpenMP team as a `ThreadBudget.Team`: at most the threads it is asked for, each running the
    /// worker once; or nothing at all when libgomp is missing (the loop then uses Dispatch).
    @Test(arguments: [1, 2, 3])
    func openMPTeamRunsAtMostTheThreadsAskedFor(threads: Int) {
        let gauge = Gauge()
        let ran = Threading.openMPTeam(threads: threads) {
            gauge.enter()
            usleep(5_000)
            gauge.leave()
        }
        #expect(ran == OpenMPRuntime.canRunRegions)
        if ran {
            #expect(gauge.peak <= threads && gauge.runs >= 1 && gauge.runs <= threads)
        } else {
            #expect(gauge.runs == 0)
        }
    }

    @Test func parallelForCoversEveryIndexOnce() {
        let gauge = Gauge()
        var seen = [Int](repeating: 0, count: 1_001)
        Threading.parallelFor(seen.count, costPerItem: 1 << 20) { range in
            gauge.enter()
            gauge.lock.withLock { for i in range { seen[i] += 1 } }
            usleep(1_000)
            gauge.leave()
        }
        #expect(seen.allSatisfy { $0 == 1 })
    }
}
