import Dispatch
import Foundation

/// Splits `0..<count` into contiguous chunks and runs them on all cores when the work is worth it.
enum Parallel {
    static var coreCount: Int { max(ProcessInfo.processInfo.activeProcessorCount, 1) }

    /// - Parameters:
    ///   - count: number of items (rows, images, ...).
    ///   - costPerItem: rough cost of one item in elementary operations; below ~200k total the loop
    ///     runs on the calling thread because dispatching costs more than it saves.
    ///   - enabled: `false` forces the serial path (the caller is already parallel at a coarser level).
    static func forEachChunk(
        _ count: Int, costPerItem: Int, enabled: Bool = true, _ body: (Range<Int>) -> Void
    ) {
        guard count > 0 else { return }
        let total = count.multipliedReportingOverflow(by: max(costPerItem, 1))
        let chunks = min(count, coreCount * 4)
        guard enabled, coreCount > 1, chunks > 1, total.overflow || total.partialValue >= 200_000 else {
            body(0..<count)
            return
        }
        DispatchQueue.concurrentPerform(iterations: chunks) { chunk in
            let lower = count * chunk / chunks
            let upper = count * (chunk + 1) / chunks
            if lower < upper { body(lower..<upper) }
        }
    }
}
