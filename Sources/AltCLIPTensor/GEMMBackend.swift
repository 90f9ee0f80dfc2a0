import CDNNL
import COpenBLAS
import Foundation

/// The library that runs single-precision GEMM (`C = α·op(A)·op(B) + β·C`, row-major) for the ops
/// given plain tensors: attention scores and context, `Ops.linear(_:weight:bias:)`, `matmul`. The
/// models' linear layers use oneDNN's matmul primitive on prepared weights instead (`MatmulWeight`).
///
/// Default: oneDNN, chosen by measurement on the project machine (AMD EPYC Zen 4, 2 vCPUs, AVX-512 +
/// BF16; Debian oneDNN 2.6.3 JIT ISA avx512_core_bf16, OpenBLAS 0.3.21 auto-detecting its Cooperlake
/// kernel — no `OPENBLAS_CORETYPE` needed here). Best of 3 quiet windows, 2 threads, GFLOP/s, for
/// `M×N×K` with the weight `[N, K]` (`X·Wᵀ`, "NT"), pre-transposed `[K, N]` ("NN"), or `W·Xᵀ`:
///
/// | M×N×K          | oneDNN NT | oneDNN NN | oneDNN W·Xᵀ | OpenBLAS NT | OpenBLAS NN |
/// |----------------|-----------|-----------|-------------|-------------|-------------|
/// | 16×1024×1024   |  23       | 222       | 157         |  69         | 129         |
/// | 16×4096×1024   |  22       | 191       | 144         |  67         | 115         |
/// | 64×1024×1024   |  70       | 218       | 173         | 141         | 185         |
/// | 257×1024×1024  | 147       | 210       | 172         | 188         | 206         |
/// | 257×4096×1024  | 143       | 210       | 161         | 187         | 199         |
/// | 2056×4096×1024 | 221       | 222       | 219         | 202         | 202         |
/// | 257×257×64     | 180       | 189       | 180         | 158         | 160         |
///
/// oneDNN with the weight pre-transposed is the fastest everywhere (`Ops.linear(_:transposedWeight:bias:)`);
/// its NT kernel collapses for few rows, so `Ops.linear(_:weight:bias:)` computes `W·Xᵀ` there. One
/// encoder layer end to end (best of 8 alternating runs; ms): ViT-L/14 at batch 1 — oneDNN with
/// transposed weights 41.7, OpenBLAS 46.4, oneDNN `[out, in]` 54.8; XLM-R large, 16 tokens, batch 1 —
/// oneDNN 3.9, OpenBLAS 7.1. With oneDNN our loops must share its OpenMP team (see `Threading`).
///
/// Set `ALTCLIP_GEMM=onednn|openblas` in the environment, assign `GEMMBackend.current`, or use
/// `withCurrent(_:_:)` for one task, to choose another backend.
public enum GEMMBackend: String, CaseIterable, Sendable, CustomStringConvertible {
    /// oneDNN's `dnnl_sgemm` (Debian libdnnl2, OpenMP threading; JIT kernels for the detected ISA).
    case oneDNN = "onednn"
    /// OpenBLAS `cblas_sgemm` (Debian libopenblas0-pthread, DYNAMIC_ARCH kernel picked at load time).
    case openBLAS = "openblas"

    private static let lock = NSLock()
    nonisolated(unsafe) private static var selected: GEMMBackend = initialBackend()

    @TaskLocal private static var scoped: GEMMBackend?

    /// The backend ops use: the one set by `withCurrent` in this task if any, else the process-wide
    /// default. Setting it changes the process-wide default.
    public static var current: GEMMBackend {
        get {
            if let scoped { return scoped }
            lock.lock()
            defer { lock.unlock() }
            return selected
        }
        set {
            lock.lock()
            selected = newValue
            lock.unlock()
        }
    }

    /// Runs `body` with ops in the current task using `backend` (other tasks and threads are unaffected).
    public static func withCurrent<R>(_ backend: GEMMBackend, _ body: () throws -> R) rethrows -> R {
        try $scoped.withValue(backend) { try body() }
    }

    /// Library, version, kernel and threading in use, e.g. "oneDNN 2.6.3 sgemm (ISA avx512_core_bf16, OpenMP)".
    public var description: String {
        switch self {
        case .oneDNN:
            let v = dnnl_version().pointee
            return "oneDNN \(v.major).\(v.minor).\(v.patch) sgemm (ISA \(GEMMBackend.isaName(dnnl_get_effective_cpu_isa())), OpenMP)"
        case .openBLAS:
            let config = String(cString: openblas_get_config()).split(separator: " ").prefix(2).joined(separator: " ")
            let core = String(cString: openblas_get_corename())
            return "\(config) cblas_sgemm (core \(core), pthreads)"
        }
    }

    /// The measured default, unless `ALTCLIP_GEMM` names another backend.
    static func initialBackend() -> GEMMBackend {
        if let name = ProcessInfo.processInfo.environment["ALTCLIP_GEMM"]?.lowercased(),
           let backend = GEMMBackend(rawValue: name) {
            return backend
        }
        return defaultBackend
    }

    static let defaultBackend: GEMMBackend = .oneDNN

    /// Whether a call can be confined to the calling thread (oneDNN follows the caller's OpenMP team size;
    /// OpenBLAS' pthread pool only has a process-wide thread count).
    var supportsSingleThreadedCalls: Bool { self == .oneDNN }

    private static func isaName(_ isa: dnnl_cpu_isa_t) -> String {
        switch isa {
        case dnnl_cpu_isa_sse41: return "sse41"
        case dnnl_cpu_isa_avx: return "avx"
        case dnnl_cpu_isa_avx2: return "avx2"
        case dnnl_cpu_isa_avx512_core: return "avx512_core"
        case dnnl_cpu_isa_avx512_core_vnni: return "avx512_core_vnni"
        case dnnl_cpu_isa_avx512_core_bf16: return "avx512_core_bf16"
        case dnnl_cpu_isa_avx512_core_amx: return "avx512_core_amx"
        case dnnl_cpu_isa_avx2_vnni: return "avx2_vnni"
        default: return "0x\(String(isa.rawValue, radix: 16))"
        }
    }
}

/// The name TENSOR-API.md uses for the GEMM backend (`Backend.current.description`).
public typealias Backend = GEMMBackend
