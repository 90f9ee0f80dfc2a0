import Foundation

/// The OpenMP runtime (libgomp) that Debian's oneDNN is built on, reached through `dlsym` because no
/// header declares it to Swift. oneDNN's `dnnl_sgemm` sizes its thread team from the *calling thread's*
/// `omp_get_max_threads()`, so this is how a call is kept single-threaded inside our own parallel loops
/// and how the team follows `Threading.threadCount`.
enum OpenMPRuntime {
    private typealias GetInt = @convention(c) () -> Int32
    private typealias SetInt = @convention(c) (Int32) -> Void

    private static let getMaxThreads: GetInt? = symbol("omp_get_max_threads")
    private static let setNumThreads: SetInt? = symbol("omp_set_num_threads")

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
