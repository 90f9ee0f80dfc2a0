import COpenBLAS
import Foundation

/// How many threads the tensor ops use, and the parallel loop they share.
///
/// One budget covers both our own loops (`DispatchQueue.concurrentPerform`) and the BLAS: a GEMM issued
/// from inside one of our parallel loops runs single-threaded, so the two never stack up threads on
/// top of each other.
public enum Threading {
    private static let lock = NSLock()
    nonisolated(unsafe) private static var configuredCount = ProcessInfo.processInfo.activeProcessorCount

    /// The number of threads ops may use (default: the active processor count).
    public static var threadCount: Int {
        lock.lock()
        defer { lock.unlock() }
        return configuredCount
    }

    /// Sets the thread budget for our loops and for the BLAS (values below 1 mean 1).
    public static func setThreadCount(_ count: Int) {
        let n = max(count, 1)
        lock.lock()
        configuredCount = n
        lock.unlock()
        openblas_set_num_threads(Int32(n))
        OpenMPRuntime.setMaxThreads(n)
    }

    /// Runs `body` over `0..<count` split into contiguous chunks, in parallel when the total work
    /// (`count × costPerItem`, roughly in scalar operations) is worth more than the cost of waking threads.
    static func parallelFor(_ count: Int, costPerItem: Int, _ body: (Range<Int>) -> Void) {
        let threads = threadCount
        guard count > 1, threads > 1, count &* max(costPerItem, 1) >= minimumParallelWork else {
            if count > 0 { body(0..<count) }
            return
        }
        if useOpenMP {
            // Static split over the OpenMP team, as torch's at::parallel_for does.
            let ran = OpenMPRuntime.parallel(threads: min(threads, count)) { index, team in
                let start = count * index / team, end = count * (index + 1) / team
                if start < end { body(start..<end) }
            }
            if ran { return }
        }
        // Several chunks per thread so a preempted core does not hold back the whole loop.
        let cores = ProcessInfo.processInfo.activeProcessorCount
        let chunks = min(count, threads >= cores ? threads * 4 : threads)
        DispatchQueue.concurrentPerform(iterations: chunks) { chunk in
            let start = count * chunk / chunks
            let end = count * (chunk + 1) / chunks
            if start < end { body(start..<end) }
        }
    }

    /// Experimental: run our loops on libgomp's team (ALTCLIP_THREADING=openmp) instead of Dispatch.
    static let useOpenMP = ProcessInfo.processInfo.environment["ALTCLIP_THREADING"] == "openmp"
        && OpenMPRuntime.canRunRegions

    /// Below about this many scalar operations a loop runs on the calling thread.
    static let minimumParallelWork = 1 << 15
}
