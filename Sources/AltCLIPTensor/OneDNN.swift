import CDNNL
import Foundation

/// The oneDNN objects the matmul primitives share: one CPU engine for the process, and per thread a
/// stream and a scratchpad buffer (primitives run with a user-provided scratchpad, so concurrent
/// callers never share oneDNN's internal one and the hot path does not allocate once it has warmed up).
enum OneDNN {
    /// The CPU engine, or nil if oneDNN could not create one (then packed weights are never built).
    static let engine: dnnl_engine_t? = {
        var engine: dnnl_engine_t?
        return dnnl_engine_create(&engine, dnnl_cpu, 0) == dnnl_success ? engine : nil
    }()

    /// Throws `TensorError.backend` naming `operation` unless `status` is success.
    static func check(_ status: dnnl_status_t, _ operation: @autoclosure () -> String) throws {
        guard status == dnnl_success else {
            throw TensorError.backend("oneDNN \(operation()) failed with status \(status.rawValue)")
        }
    }

    /// A memory object for `descriptor` over `handle` (no copy). The caller destroys it.
    static func memory(_ descriptor: UnsafePointer<dnnl_memory_desc_t>, _ handle: UnsafeMutableRawPointer?) throws
        -> dnnl_memory_t {
        guard let engine else { throw TensorError.backend("oneDNN has no CPU engine") }
        var memory: dnnl_memory_t?
        try check(dnnl_memory_create(&memory, descriptor, engine, handle), "memory_create")
        return memory!
    }

    /// A plain row-major descriptor `[rows, cols]` of `type`; with `transposed` the dims are `[rows, cols]`
    /// but the data is stored column-major (`[cols, rows]` row-major, oneDNN tag `ba`).
    static func matrix(_ rows: Int, _ cols: Int, _ type: dnnl_data_type_t, transposed: Bool = false)
        throws -> dnnl_memory_desc_t {
        var descriptor = dnnl_memory_desc_t()
        var dims: [Int64] = [Int64(rows), Int64(cols)]
        try check(dnnl_memory_desc_init_by_tag(&descriptor, 2, &dims, type, transposed ? dnnl_ba : dnnl_ab),
                  "memory_desc_init [\(rows), \(cols)]")
        return descriptor
    }

    /// Runs `primitive` with `arguments` on this thread's stream and waits for it.
    static func execute(_ primitive: dnnl_primitive_t, _ arguments: [dnnl_exec_arg_t]) throws {
        let stream = try ThreadResources.current().stream
        try arguments.withUnsafeBufferPointer { args in
            try check(dnnl_primitive_execute(primitive, stream, Int32(args.count), args.baseAddress), "primitive_execute")
        }
        try check(dnnl_stream_wait(stream), "stream_wait")
    }

    /// This thread's scratchpad, at least `bytes` long (64-byte aligned).
    static func scratchpad(bytes: Int) throws -> UnsafeMutableRawPointer {
        try ThreadResources.current().scratch(bytes)
    }
}

/// A stream and a growable scratch buffer owned by one thread (freed when the thread ends).
private final class ThreadResources {
    let stream: dnnl_stream_t
    private var buffer: UnsafeMutableRawPointer?
    private var capacity = 0

    private init(stream: dnnl_stream_t) { self.stream = stream }

    deinit {
        dnnl_stream_destroy(stream)
        buffer?.deallocate()
    }

    func scratch(_ bytes: Int) -> UnsafeMutableRawPointer {
        if bytes > capacity || buffer == nil {
            buffer?.deallocate()
            capacity = max(bytes, 4096)
            buffer = UnsafeMutableRawPointer.allocate(byteCount: capacity, alignment: 64)
        }
        return buffer!
    }

    private static let key: pthread_key_t = {
        var key = pthread_key_t()
        pthread_key_create(&key) { raw in
            Unmanaged<ThreadResources>.fromOpaque(raw!).release()
        }
        return key
    }()

    static func current() throws -> ThreadResources {
        if let raw = pthread_getspecific(key) {
            return Unmanaged<ThreadResources>.fromOpaque(raw).takeUnretainedValue()
        }
        guard let engine = OneDNN.engine else { throw TensorError.backend("oneDNN has no CPU engine") }
        var stream: dnnl_stream_t?
        try OneDNN.check(dnnl_stream_create(&stream, engine, dnnl_stream_default_flags.rawValue), "stream_create")
        let resources = ThreadResources(stream: stream!)
        pthread_setspecific(key, Unmanaged.passRetained(resources).toOpaque())
        return resources
    }
}
