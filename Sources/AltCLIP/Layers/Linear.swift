import AltCLIPTensor
import Foundation

/// `nn.Linear`: keys `weight` [out, in] and, when present, `bias` [out].
///
/// Every matmul with a learned weight goes through here, so this is where the weight layout and
/// `ComputePrecision` are decided:
/// - `.float32` / `.bfloat16`: reordered into oneDNN's blocked matmul layout (`MatmulWeight`), which
///   its kernels read fastest at every row count (Float32 222–233 GFLOP/s here against 198–227 for
///   sgemm on a transposed copy); bias, activation and residual add are fused into the product.
///   bfloat16 halves the weight bytes and doubles the GEMM rate on CPUs with AVX-512 BF16.
/// - `.int8`: quantized, no Float32 copy kept.
///
/// The conversion is deferred to the layer's first products (`LinearWeight`): loading only maps the
/// checkpoint, and a tower that is never run (the text tower of an image search) never costs time or
/// memory. `AltCLIPModel.prepare()` converts ahead of the first request.
public struct Linear: @unchecked Sendable {
    let storage: LinearWeight
    public let bias: Tensor?

    /// The weight [out, in] as Float32 (unpacked; bfloat16 and int8 values as the products see them).
    public var weight: Tensor { storage.float32() }

    /// The arithmetic this layer runs in.
    public var precision: ComputePrecision { storage.precision }

    public var inputFeatures: Int { storage.inFeatures }

    public var outputFeatures: Int { storage.outFeatures }

    /// Bytes of weight data this layer holds once converted (packed, quantized, or the mapped checkpoint's).
    public var weightBytes: Int { storage.byteCount }

    /// Loads from `scope` (`weight`, `bias`); `weightStd` is the random-initialisation std. The weight
    /// is converted to the loader's `precision` on first use.
    init(_ scope: WeightScope, input: Int, output: Int, bias hasBias: Bool = true, weightStd: Float) throws {
        storage = try scope.linearWeight("weight", shape: [output, input], initializer: .normal(std: weightStd))
        bias = hasBias ? try scope.parameter("bias", shape: [output], initializer: .zeros) : nil
    }

    /// A layer over an already-made weight (e.g. stacked ones, see `FusedLinear`).
    init(storage: LinearWeight, bias: Tensor?) {
        self.storage = storage
        self.bias = bias
    }

    /// Converts the weight now instead of at the first product.
    public func prepare() { _ = storage.prepared(final: true) }

    public func callAsFunction(_ x: Tensor) -> Tensor {
        callAsFunction(x, activation: nil, residual: nil)
    }

    /// `activation(x·Wᵀ + b) + residual`, fused into the product where the weight layout allows.
    public func callAsFunction(_ x: Tensor, activation: Activation?, residual: Tensor?) -> Tensor {
        switch storage.prepared() {
        case let .matmul(p):
            return Ops.linear(x, weight: p, bias: bias, activation: activation, residual: residual)
        case let .float32(w):
            return Ops.epilogue(Ops.linear(x, weight: w, bias: bias), activation: activation, residual: residual)
        case let .int8(q):
            return Ops.epilogue(Ops.quantizedLinear(x, weight: q, bias: bias), activation: activation, residual: residual)
        }
    }
}

/// A linear weight as loaded (usually borrowed from the mapped checkpoint) and, once used, in the form
/// its precision computes with. Thread-safe: concurrent calls convert once.
///
/// Float32 runs its first product on the stored weight in place (oneDNN reads `[out, in]` at ~95% of
/// the packed speed from 257 rows up) and packs on the second: a one-shot command never pays the
/// packing (~0.35 s for the vision tower), a server pays it once. bfloat16 first rounds the weight in
/// its stored layout (a fast streaming pass) and packs on the second use too; int8 quantizes on first use.
final class LinearWeight: @unchecked Sendable {
    enum Form {
        /// [out, in] Float32 (only when oneDNN cannot take it; the plain GEMM path then serves it).
        case float32(Tensor)
        case matmul(MatmulWeight)
        case int8(QuantizedWeight)
    }

    let precision: ComputePrecision
    let outFeatures: Int
    let inFeatures: Int
    private let lock = NSLock()
    private var source: Tensor?
    /// A bf16/fp16 checkpoint's values as stored (bf16 is packed straight from them, fp16 widened on first use).
    private var compactSource: HalfPrecisionValues?
    private var form: Form?
    private var loadedCompact = false
    private var final = false

    init(_ weight: Tensor, precision: ComputePrecision) {
        self.precision = precision
        outFeatures = weight.shape[0]
        inFeatures = weight.shape[1]
        source = weight
    }

    /// A layer over a bf16/fp16 checkpoint's values (bf16 is packed straight from them, fp16 widened on
    /// first use; neither is widened to Float32 at load).
    init(halfPrecision values: HalfPrecisionValues, precision: ComputePrecision, outFeatures: Int, inFeatures: Int) {
        self.precision = precision
        self.outFeatures = outFeatures
        self.inFeatures = inFeatures
        compactSource = values
        loadedCompact = true
    }

    /// The weight as loaded, Float32 [out, in], without converting this layer (for stacking several
    /// layers into one, see `FusedLinear`); its mapped pages are released after `body` reads it.
    func withLoadedFloat32<R>(_ body: (Tensor) -> R) -> R {
        lock.lock()
        let loaded = source ?? compactSource.map { $0.widened(shape: [outFeatures, inFeatures]) }
        lock.unlock()
        guard let loaded else { return body(float32()) }
        defer { loaded.releaseBorrowedPages() }
        return body(loaded)
    }

    /// Drops a first-use form that was not made final (the loaded weight stays; a later call converts again).
    func discardInterimForm() {
        lock.lock()
        if !final { form = nil }
        lock.unlock()
    }

    /// Whether the weight is in its final compute form (packed, converted or quantized) yet.
    var isConverted: Bool {
        lock.lock()
        defer { lock.unlock() }
        return final
    }

    /// Whether this layer was loaded from a bf16/fp16 checkpoint's values without widening them at load.
    var isCompactSource: Bool { loadedCompact }

    /// The form for the next product. First use: Float32 reads the stored weight in place and bfloat16
    /// a streaming rounding of it (or a bf16 checkpoint's values in place); the second use (or `final`)
    /// packs. int8 quantizes at once.
    func prepared(final wantFinal: Bool = false) -> Form {
        lock.lock()
        defer { lock.unlock() }
        if final, let form { return form }
        if let compact = compactSource, compact.format == .float16 {
            // oneDNN here has no float16 weights: widen this layer now (it stays compact until used).
            source = compact.widened(shape: [outFeatures, inFeatures])
            if compact.fileMapped { MemoryResidency.release(compact.bits, byteCount: compact.count * 2) }
            compactSource = nil
        }
        if form == nil, !wantFinal, let first = firstForm() {
            form = first
            return first
        }
        let converted = finished(form)
        if case .float32 = converted {} else {
            source?.releaseBorrowedPages()
            if let compact = compactSource, compact.fileMapped {
                MemoryResidency.release(compact.bits, byteCount: compact.count * 2)
            }
            source = nil
            compactSource = nil
        }
        form = converted
        final = true
        return converted
    }

    /// The quick first form (nothing packed), if the precision has one.
    private func firstForm() -> Form? {
        switch precision {
        case .float32:
            guard compactSource == nil, let source else { return nil }
            return (try? MatmulWeight(asStored: source)).map { .matmul($0) }
        case .bfloat16:
            if let compact = compactSource {
                return (try? MatmulWeight(asStoredBFloat16Bits: compact.bits, outFeatures: outFeatures,
                                          inFeatures: inFeatures, owner: compact.owner)).map { .matmul($0) }
            }
            return source.flatMap { try? MatmulWeight(bfloat16Rounding: $0) }.map { .matmul($0) }
        case .int8:
            return nil
        }
    }

    /// The final form: `current` packed when it is an unpacked matmul weight, else converted from the source.
    private func finished(_ current: Form?) -> Form {
        if case let .matmul(weight)? = current {
            return .matmul((try? weight.packed()) ?? weight)
        }
        let widened = { () -> Tensor in
            if let source = self.source { return source }
            return self.compactSource!.widened(shape: [self.outFeatures, self.inFeatures])
        }
        switch precision {
        case .float32, .bfloat16:
            let type: MatmulWeight.Precision = precision == .bfloat16 ? .bfloat16 : .float32
            if let compact = compactSource,
               let packed = try? MatmulWeight(bfloat16Bits: compact.bits, outFeatures: outFeatures,
                                              inFeatures: inFeatures, precision: type) {
                return .matmul(packed)
            }
            if compactSource == nil, let source, let packed = try? MatmulWeight(source, precision: type) {
                return .matmul(packed)
            }
            return .float32(widened())  // oneDNN unavailable: the plain GEMM path
        case .int8:
            return .int8(QuantizedWeight(widened()))
        }
    }

    /// The weight as Float32 [out, in] (the values the products use).
    func float32() -> Tensor {
        switch prepared(final: true) {
        case let .float32(w): return w
        case let .matmul(p): return (try? p.unpacked()) ?? Tensor(zeros: [outFeatures, inFeatures])
        case let .int8(q): return q.dequantized()
        }
    }

    var byteCount: Int {
        switch prepared(final: true) {
        case let .float32(w): return w.count * 4
        case let .matmul(p): return p.byteCount
        case let .int8(q): return q.byteCount
        }
    }
}
