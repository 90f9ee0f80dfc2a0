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

    /// The most chunks of `forEachChunk` that ran at the same time (each chunk sleeps a little).
    static func peakChunkConcurrency(count: Int, team: ThreadBudget.Team? = nil) -> (peak: Int, covered: [Int]) {
        final class Gauge: @unchecked Sendable {
            let lock = NSLock()
            var running = 0, peak = 0
            var covered: [Int]
            init(_ count: Int) { covered = [Int](repeating: 0, count: count) }
        }
        let gauge = Gauge(count)
        ThreadBudget.forEachChunk(count, costPerItem: 1 << 20, team: team) { range in
            gauge.lock.withLock {
                gauge.running += 1
                gauge.peak = max(gauge.peak, gauge.running)
                for i in range { gauge.covered[i] += 1 }
            }
            usleep(5_000)
            gauge.lock.withLock { gauge.running -= 1 }
        }
        return (gauge.peak, gauge.covered)
    }

    @Test("the chunked loop never runs more than N workers, on Dispatch or on a given team", arguments: [1, 2, 3, 5])
    func chunkedLoopObeysTheBudget(budget: Int) {
        let saved = ThreadBudget.count
        defer { ThreadBudget.set(saved) }
        ThreadBudget.set(budget)
        let plain = Self.peakChunkConcurrency(count: 97)
        #expect(plain.peak <= budget && plain.covered.allSatisfy { $0 == 1 })
        if budget > 1, ProcessInfo.processInfo.activeProcessorCount > 1 { #expect(plain.peak > 1) }

        // A team (the tensor core passes OpenMP's) is asked for at most N threads and runs the workers.
        final class TeamLog: @unchecked Sendable {
            let lock = NSLock()
            var asked: [Int] = []
        }
        let log = TeamLog()
        let team: ThreadBudget.Team = { threads, worker in
            log.lock.withLock { log.asked.append(threads) }
            DispatchQueue.concurrentPerform(iterations: threads) { _ in worker() }
            return true
        }
        let teamed = Self.peakChunkConcurrency(count: 97, team: team)
        #expect(teamed.peak <= budget && teamed.covered.allSatisfy { $0 == 1 })
        #expect(log.asked.allSatisfy { $0 <= budget })
        #expect(log.asked.count == (budget > 1 ? 1 : 0), "a budget of one runs on the caller")

        // A team that cannot run leaves the loop to Dispatch: still within the budget, every index once.
        let refused = Self.peakChunkConcurrency(count: 97) { _, _ in false }
        #expect(refused.peak <= budget && refused.covered.allSatisfy { $0 == 1 })
    }

    @Test func smallWorkRunsOnTheCaller() {
        let saved = ThreadBudget.count
        defer { ThreadBudget.set(saved) }
        ThreadBudget.set(4)
        var calls: [Range<Int>] = []
        ThreadBudget.forEachChunk(100, costPerItem: 10) { calls.append($0) }  // 1000 < minimumParallelWork
        #expect(calls == [0..<100])
        calls = []
        ThreadBudget.forEachChunk(100, costPerItem: 10, minimumWork: 1_000_000_000) { calls.append($0) }
        #expect(calls == [0..<100])
        ThreadBudget.forEachChunk(100, costPerItem: 1 << 20, enabled: false) { calls.append($0) }
        #expect(calls == [0..<100, 0..<100])
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
