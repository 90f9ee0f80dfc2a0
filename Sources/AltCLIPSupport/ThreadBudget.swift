import Dispatch
import Foundation

/// The process's thread budget and the one parallel loop every layer uses (decoding, preprocessing,
/// tokenizing, weight conversion). The tensor core's own loops and the BLAS read the same number
/// (`Threading.setThreadCount` sets it), so `--threads N` bounds every thread a command starts.
public enum ThreadBudget {
    private static let lock = NSLock()
    nonisolated(unsafe) private static var configured = max(ProcessInfo.processInfo.activeProcessorCount, 1)

    /// Threads a parallel loop may use at once (default: the active processor count).
    public static var count: Int {
        lock.lock()
        defer { lock.unlock() }
        return configured
    }

    /// Sets the budget (values below 1 mean 1). The tensor core's `Threading.setThreadCount` calls this
    /// and also sizes the BLAS and OpenMP pools; call that one when the tensor core is linked.
    public static func set(_ threads: Int) {
        lock.lock()
        configured = max(threads, 1)
        lock.unlock()
    }

    /// Runs `worker()` on `threads` threads at once and returns true, or returns false without running
    /// anything when it cannot (the loop then uses Dispatch). The tensor core passes oneDNN's OpenMP team.
    public typealias Team = (_ threads: Int, _ worker: () -> Void) -> Bool

    /// Runs `body(i)` for every `i` in `0..<iterations` on at most `count` threads (`maxThreads` lowers
    /// that further), handing indices out on demand so a slow item does not hold the others back.
    /// With a budget of one, or one item, everything runs on the calling thread. The threads are
    /// `team`'s when given and able, else Dispatch's.
    public static func forEach(iterations: Int, maxThreads: Int? = nil, team: Team? = nil, _ body: (Int) -> Void) {
        guard iterations > 0 else { return }
        let workers = min(iterations, count, max(maxThreads ?? Int.max, 1))
        if workers <= 1 {
            for i in 0..<iterations { body(i) }
            return
        }
        let next = IndexCounter()
        func worker() { while let i = next.take(below: iterations) { body(i) } }
        if let team, team(workers, worker) { return }
        DispatchQueue.concurrentPerform(iterations: workers) { _ in worker() }
    }

    /// Runs `body` over `0..<count` split into contiguous ranges, in parallel (within the budget) when
    /// `count × costPerItem` (roughly scalar operations) reaches `minimumWork`, i.e. is worth more than
    /// waking threads; else serially on the calling thread. Several ranges per thread, handed out on
    /// demand, so a preempted core does not hold back the whole loop (the machine is often shared).
    /// `enabled: false` forces the serial path (the caller is already parallel at a coarser level).
    public static func forEachChunk(_ count: Int, costPerItem: Int, enabled: Bool = true,
                                    minimumWork: Int = minimumParallelWork, team: Team? = nil,
                                    _ body: (Range<Int>) -> Void) {
        guard count > 0 else { return }
        let total = count.multipliedReportingOverflow(by: max(costPerItem, 1))
        let threads = self.count
        let chunks = min(count, threads * 4)
        guard enabled, threads > 1, chunks > 1, total.overflow || total.partialValue >= minimumWork else {
            body(0..<count)
            return
        }
        forEach(iterations: chunks, team: team) { chunk in
            let lower = count * chunk / chunks, upper = count * (chunk + 1) / chunks
            if lower < upper { body(lower..<upper) }
        }
    }

    /// Below about this many scalar operations a chunked loop runs on the calling thread.
    public static let minimumParallelWork = 200_000
}

/// Hands out 0, 1, 2, … to the threads of one loop (also the tensor core's OpenMP loops).
public final class IndexCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var next = 0

    public init() {}

    /// The next index, or nil once `limit` is reached.
    public func take(below limit: Int) -> Int? {
        lock.lock()
        defer { lock.unlock() }
        guard next < limit else { return nil }
        next += 1
        return next - 1
    }
}
