import Foundation

/// The OpenMP runtime (libgomp) that Debian's oneDNN is built on, reached through `dlsym` because no
/// header declares it to Swift. oneDNN's `dnnl_sgemm` sizes its thread team from the *calling thread's*
/// `omp_get_max_threads()`, so this is how a call is kept single-threaded inside our own parallel loops
/// and how the team follows `Threading.threadCount`.
enum OpenMPRuntime {
    private typealias GetInt = @convention(c) () -> Int32
    private typealias SetInt = @convention(c) (Int32) -> Void

    private typealias Outlined = @convention(c) (UnsafeMutableRawPointer?) -> Void
    private typealias Parallel = @convention(c) (Outlined, UnsafeMutableRawPointer?, UInt32, UInt32) -> Void

    private static let getMaxThreads: GetInt? = symbol("omp_get_max_threads")
    private static let setNumThreads: SetInt? = symbol("omp_set_num_threads")
    private static let getThreadNum: GetInt? = symbol("omp_get_thread_num")
    private static let getNumThreads: GetInt? = symbol("omp_get_num_threads")
    // The entry point GCC emits for `#pragma omp parallel` (libgomp ≥ 4.9).
    private static let gompParallel: Parallel? = symbol("GOMP_parallel")

    /// Whether `parallel` can run regions on the OpenMP thread team.
    static var canRunRegions: Bool {
        gompParallel != nil && getThreadNum != nil && getNumThreads != nil
    }

    /// Runs `body(threadIndex, threadCount)` on an OpenMP team of up to `threads` threads (the same
    /// threads oneDNN uses, so ours and the BLAS' never compete or spin against each other). Inside
    /// an active region the team has one thread. Returns false if libgomp is not available.
    static func parallel(threads: Int, _ body: (Int, Int) -> Void) -> Bool {
        guard let run = gompParallel else { return false }
        return withoutActuallyEscaping(body) { escapable in
            var context = escapable
            withUnsafeMutablePointer(to: &context) { pointer in
                run({ raw in
                    let body = raw!.assumingMemoryBound(to: ((Int, Int) -> Void).self).pointee
                    body(Int(OpenMPRuntime.getThreadNum!()), Int(OpenMPRuntime.getNumThreads!()))
                }, UnsafeMutableRawPointer(pointer), UInt32(max(threads, 1)), 0)
            }
            return true
        }
    }

    /// Whether libgomp is loaded in this process (it is whenever oneDNN is).
    static var isAvailable: Bool { getMaxThreads != nil && setNumThreads != nil }

    /// The calling thread's team size for the next parallel region.
    static var maxThreads: Int { getMaxThreads.map { Int($0()) } ?? 1 }

    /// Sets the calling thread's team size (an OpenMP per-thread ICV; other threads are unaffected).
    static func setMaxThreads(_ n: Int) {
        setNumThreads?(Int32(max(n, 1)))
    }

    /// Runs `body` with the calling thread's OpenMP team size set to `n`, then restores it.
    @inline(__always)
    static func withMaxThreads<R>(_ n: Int, _ body: () throws -> R) rethrows -> R {
        guard let get = getMaxThreads, let set = setNumThreads else { return try body() }
        let saved = get()
        let wanted = Int32(max(n, 1))
        if saved == wanted { return try body() }
        set(wanted)
        defer { set(saved) }
        return try body()
    }

    private static func symbol<T>(_ name: String) -> T? {
        guard let address = dlsym(nil, name) else { return nil }
        return unsafeBitCast(address, to: T.self)
    }
}
