import Foundation

/// Raw 16-bit floating-point parameter values (little-endian bit patterns, row-major) and what keeps
/// them alive, e.g. a bf16/fp16 checkpoint's mapped tensor.
public struct HalfPrecisionValues: @unchecked Sendable {
    public enum Format: Sendable { case bfloat16, float16 }

    public let format: Format
    public let bits: UnsafePointer<UInt16>
    public let count: Int
    public let owner: AnyObject
    /// Whether the values lie in a read-only file mapping (their pages can be dropped after use).
    public let fileMapped: Bool

    public init(format: Format, bits: UnsafePointer<UInt16>, count: Int, owner: AnyObject, fileMapped: Bool) {
        self.format = format
        self.bits = bits
        self.count = count
        self.owner = owner
        self.fileMapped = fileMapped
    }

    /// All values widened (exactly) to a Float32 tensor of `shape`.
    public func widened(shape: [Int]) -> Tensor {
        Tensor(shape: shape, widening: bits, bfloat16: format == .bfloat16)
    }
}

/// A linear layer's weight `[out, in]` as loaded (usually borrowed from the mapped checkpoint, or a
/// bf16/fp16 checkpoint's values as stored) and, from its first product on, in the form its `Precision`
/// computes with (`MatmulWeight`). The one place where weights are converted; thread-safe (concurrent
/// products convert once). Conversion either works or throws: there is no fallback to another precision.
///
/// When: on first use, by design, so that loading only maps the checkpoint and a tower that is never
/// run (the text tower of an image search) costs neither time nor memory; `prepare()` converts ahead
/// (a server does it before taking requests). Float32 runs its first product on the stored weight in
/// place (oneDNN reads `[out, in]` at ~95% of the packed speed from 257 rows up) and packs on the
/// second, so a one-shot command never pays the packing (~0.35 s for the vision tower); bfloat16 first
/// rounds the weight in its stored layout (a streaming pass, or a bf16 checkpoint's values in place)
/// and packs on the second use too; int8 quantizes and packs at once. Once converted, the loaded
/// weight's mapped pages are handed back to the kernel.
public final class LinearWeight: @unchecked Sendable {
    public let precision: Precision
    public let outFeatures: Int
    public let inFeatures: Int
    /// Whether the layer was loaded from a bf16/fp16 checkpoint's values without widening them.
    public let isCompactSource: Bool
    private let lock = NSLock()
    private var source: Tensor?
    private var compactSource: HalfPrecisionValues?
    private var form: MatmulWeight?
    private var final = false

    /// A weight `[out, in]` (Float32, e.g. borrowed from the mapped checkpoint).
    public init(_ weight: Tensor, precision: Precision) throws {
        guard weight.rank == 2, weight.count > 0 else {
            throw TensorError.shapeMismatch(operation: "LinearWeight", expected: "a non-empty [out, in]", actual: weight.shape)
        }
        self.precision = precision
        outFeatures = weight.shape[0]
        inFeatures = weight.shape[1]
        isCompactSource = false
        source = weight
    }

    /// A weight over a bf16/fp16 checkpoint's values (bf16 is packed straight from them, fp16 widened on
    /// first use; neither is widened to Float32 at load).
    public init(halfPrecision values: HalfPrecisionValues, precision: Precision, outFeatures: Int, inFeatures: Int) throws {
        guard outFeatures > 0, inFeatures > 0, values.count == outFeatures * inFeatures else {
            throw TensorError.shapeMismatch(operation: "LinearWeight", expected: "\(values.count) values",
                                            actual: [outFeatures, inFeatures])
        }
        self.precision = precision
        self.outFeatures = outFeatures
        self.inFeatures = inFeatures
        isCompactSource = true
        compactSource = values
    }

    /// `activation(x·Wᵀ + b) + residual` in this weight's precision (see `Ops.linear(_:weight:bias:activation:residual:)`).
    public func product(_ x: Tensor, bias: Tensor?, activation: Activation? = nil, residual: Tensor? = nil) throws -> Tensor {
        try Ops.linear(x, weight: prepared(), bias: bias, activation: activation, residual: residual)
    }

    /// Converts the weight to its final form now instead of at the first products.
    public func prepare() throws { _ = try prepared(final: true) }

    /// Whether the weight is in its final compute form (packed, rounded or quantized) yet.
    public var isConverted: Bool {
        lock.lock()
        defer { lock.unlock() }
        return final
    }

    /// The weight as loaded, Float32 `[out, in]`, without converting this layer (for stacking several
    /// layers into one); its mapped pages are released after `body` reads it. Once converted, the values
    /// the products use.
    public func withLoadedFloat32<R>(_ body: (Tensor) throws -> R) throws -> R {
        lock.lock()
        let loaded = source ?? compactSource.map { $0.widened(shape: [outFeatures, inFeatures]) }
        lock.unlock()
        guard let loaded else { return try body(float32()) }
        defer { loaded.releaseBorrowedPages() }
        return try body(loaded)
    }

    /// Drops a first-use form that was not made final (the loaded weight stays; a later product converts again).
    public func discardInterimForm() {
        lock.lock()
        if !final { form = nil }
        lock.unlock()
    }

    /// The weight as Float32 `[out, in]`: the values the products use (converting it if not yet).
    public func float32() throws -> Tensor {
        try prepared(final: true).unpacked()
    }

    /// Bytes of weight data held once converted.
    public func byteCount() throws -> Int {
        try prepared(final: true).byteCount
    }

    /// The form for the next product: the quick first form on first use (Float32 in place, bfloat16
    /// rounded in the stored layout), the packed one from the second use on or when `final`.
    func prepared(final wantFinal: Bool = false) throws -> MatmulWeight {
        lock.lock()
        defer { lock.unlock() }
        if final, let form { return form }
        if let compact = compactSource, compact.format == .float16 {
            // oneDNN here has no float16 weights: widen this layer now (it stays compact until used).
            source = compact.widened(shape: [outFeatures, inFeatures])
            if compact.fileMapped { MemoryResidency.release(compact.bits, byteCount: compact.count * 2) }
            compactSource = nil
        }
        if form == nil, !wantFinal, let first = try firstForm() {
            form = first
            return first
        }
        let converted = try form?.packed() ?? finalForm()
        source?.releaseBorrowedPages()
        if let compact = compactSource, compact.fileMapped {
            MemoryResidency.release(compact.bits, byteCount: compact.count * 2)
        }
        source = nil
        compactSource = nil
        form = converted
        final = true
        return converted
    }

    /// The quick first form (nothing packed), if the precision has one.
    private func firstForm() throws -> MatmulWeight? {
        switch precision {
        case .float32:
            guard compactSource == nil, let source else { return nil }
            return try MatmulWeight(asStored: source)
        case .bfloat16:
            if let compact = compactSource {
                return try MatmulWeight(asStoredBFloat16Bits: compact.bits, outFeatures: outFeatures,
                                        inFeatures: inFeatures, owner: compact.owner)
            }
            return try source.map { try MatmulWeight(bfloat16Rounding: $0) }
        case .int8:
            return nil
        }
    }

    /// The packed form, converted from the loaded weight.
    private func finalForm() throws -> MatmulWeight {
        if let compact = compactSource {
            return try MatmulWeight(bfloat16Bits: compact.bits, outFeatures: outFeatures, inFeatures: inFeatures,
                                    precision: precision)
        }
        guard let source else { throw TensorError.backend("LinearWeight: the loaded weight was released before conversion") }
        return try MatmulWeight(source, precision: precision)
    }
}
