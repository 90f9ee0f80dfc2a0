import AltCLIPSupport
import Foundation
import Testing

/// `--threads N` bounds every parallel loop: the budget caps how many items run at once.
@Suite("ThreadBudget", .serialized)
struct ThreadBudgetTests {
    /// Runs `forEach` over slow items and returns the most that ran at the same time.
    static func peakConcurrency(iterations: Int) -> Int {
        final class Gauge: @unchecked Sendable {
            let lock = NSLock()
            var running = 0, peak = 0
        }
        let gauge = Gauge()
        ThreadBudget.forEach(iterations: iterations) { _ in
            gauge.lock.withLock { gauge.running += 1; gauge.peak = max(gauge.peak, gauge.running) }
            usleep(20_000)
            gauge.lock.withLock { gauge.running -= 1 }
        }
        return gauge.peak
    }

    @Test func theBudgetCapsConcurrencyAndEveryIndexRunsOnce() {
        let saved = ThreadBudget.count
        defer { ThreadBudget.set(saved) }
        ThreadBudget.set(1)
        #expect(Self.peakConcurrency(iterations: 8) == 1)
        var order: [Int] = []
        ThreadBudget.forEach(iterations: 5) { order.append($0) }  // one thread: in order, on the caller
        #expect(order == [0, 1, 2, 3, 4])
        ThreadBudget.set(2)
        #expect(Self.peakConcurrency(iterations: 16) <= 2)
        let seen = NSLock()
        var counts = [Int](repeating: 0, count: 1000)
        ThreadBudget.forEach(iterations: 1000) { i in seen.withLock { counts[i] += 1 } }
        #expect(counts.allSatisfy { $0 == 1 })
        ThreadBudget.set(0)
        #expect(ThreadBudget.count == 1)
    }

    @Test func chunksCoverTheRangeExactly() {
        var covered = [Int](repeating: 0, count: 10_007)
        let lock = NSLock()
        ThreadBudget.forEachChunk(covered.count, costPerItem: 1_000) { range in
            lock.withLock { for i in range { covered[i] += 1 } }
        }
        #expect(covered.allSatisfy { $0 == 1 })
    }
}
