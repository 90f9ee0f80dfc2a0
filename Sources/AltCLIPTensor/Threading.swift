import AltCLIPSupport
import COpenBLAS
import Foundation

/// How many threads the tensor ops use, and the parallel loop they share.
///
/// One budget covers both our own loops and the BLAS: a GEMM issued from inside one of our parallel
/// loops runs single-threaded, so the two never stack up threads on top of each other. Our loops run
/// on oneDNN's OpenMP team when oneDNN is the backend, else on `DispatchQueue.concurrentPerform`.
public enum Threading {
    /// The number of threads ops may use (default: the active processor count): the process's
    /// `ThreadBudget`, shared with decoding, tokenizing and weight conversion.
    public static var threadCount: Int { ThreadBudget.count }

    /// Sets the thread budget for every parallel loop (`ThreadBudget`) and for the BLAS and OpenMP
    /// pools (values below 1 mean 1).
    public static func setThreadCount(_ count: Int) {
        let n = max(count, 1)
        ThreadBudget.set(n)
        openblas_set_num_threads(Int32(n))
        OpenMPRuntime.setMaxThreads(n)
    }

    /// Runs `body` over `0..<count` split into contiguous chunks, in parallel when the total work
    /// (`count × costPerItem`, roughly in scalar operations) is worth more than the cost of waking threads:
    /// the process's one parallel loop (`ThreadBudget.forEachChunk`), on the OpenMP team when
    /// `runsOnOpenMP`.
    static func parallelFor(_ count: Int, costPerItem: Int, _ body: (Range<Int>) -> Void) {
        ThreadBudget.forEachChunk(count, costPerItem: costPerItem, minimumWork: minimumParallelWork,
                                  team: runsOnOpenMP ? openMPTeam : nil, body)
    }

    /// oneDNN's OpenMP team as a `ThreadBudget.Team` (false when libgomp is not available).
    static func openMPTeam(threads: Int, worker: () -> Void) -> Bool {
        OpenMPRuntime.parallel(threads: threads) { _, _ in worker() }
    }

    /// Where our loops run. With oneDNN they run on its OpenMP team: after each GEMM libgomp's idle
    /// workers spin for milliseconds, and Dispatch threads started in that window fight them for the
    /// cores (measured: an XLM-R layer at 16 tokens took 5× longer). OpenBLAS' pool yields while it
    /// waits, so with it Dispatch is used. `ALTCLIP_THREADING=openmp|dispatch` overrides.
    static var runsOnOpenMP: Bool {
        switch threadingOverride {
        case "openmp": return OpenMPRuntime.canRunRegions
        case "dispatch": return false
        default: return OpenMPRuntime.canRunRegions && GEMMBackend.current == .oneDNN
        }
    }

    private static let threadingOverride = ProcessInfo.processInfo.environment["ALTCLIP_THREADING"]

    /// Below about this many scalar operations a loop runs on the calling thread.
    static let minimumParallelWork = 1 << 18
}
