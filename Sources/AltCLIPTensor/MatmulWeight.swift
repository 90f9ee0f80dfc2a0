import CAltCLIPKernels
import CDNNL
import Foundation

/// A linear weight `[out, in]` ready for `Ops.linear(_:weight:bias:activation:residual:)`: either
/// reordered once into the blocked layout its kernels read fastest ("packed": Float32, bfloat16, or int8
/// with one scale per output channel — for oneDNN's matmul primitive, or on CPUs with AMX for the
/// library's own AMX kernels, `isAMXPacked`), or the weight exactly as stored, read in place (no copy,
/// no conversion time; Float32 or bfloat16).
///
/// Measured here (AMD EPYC Zen 4, 2 threads, GFLOP/s, `M×N×K`): Float32 packed 222–233; as stored
/// 209–220 from 257 rows up but 156 at 16 rows; `dnnl_sgemm` on a pre-transposed copy 198–227;
/// bfloat16 packed 446–465 (the CPU's `vdpbf16ps`, fp32 accumulation), 2.0–2.1× Float32. Packing a
/// 4096×1024 weight takes ~6 ms.
public final class MatmulWeight: @unchecked Sendable {

    /// Output features (rows of the `[out, in]` weight).
    public let outFeatures: Int
    /// Input features.
    public let inFeatures: Int
    public let precision: Precision
    /// Whether the data is in oneDNN's blocked layout (else it is the stored `[out, in]`, read in place).
    public let isPacked: Bool
    /// Packed for the library's own AMX kernels instead of oneDNN's matmul: int8 on a CPU with AMX-INT8,
    /// out a multiple of 32 and in of 64 (`altclip_amx_u8s8_gemm`); bfloat16 on a CPU with AMX-BF16, out
    /// and in multiples of 32 (`altclip_amx_bf16_gemm`).
    public let isAMXPacked: Bool

    /// Whether int8 products quantize each row (token) of their input with its own scale and zero point
    /// (the library's AMX kernel, on CPUs with AMX-INT8) rather than one for the whole input (oneDNN):
    /// more accurate (min cosine to fp32 on the full-size checkpoint, image tower 0.99928 → 0.99955) at
    /// no cost, since the kernel applies the row's scale in its epilogue.
    public static var int8ScalesEachRow: Bool { altclip_has_amx_int8() != 0 }

    /// Whether int8 weights of `[out, in]` are packed for the library's AMX kernel on this machine.
    public static func usesAMXKernel(outFeatures: Int, inFeatures: Int) -> Bool {
        outFeatures > 0 && inFeatures > 0 && altclip_has_amx_int8() != 0
            && altclip_amx_s8_shape_supported(outFeatures, inFeatures) != 0
    }
    /// Whether packed bfloat16 weights of `[out, in]` are packed for the library's AMX kernel on this
    /// machine. Measured on Sapphire Rapids (2 threads): 2.0–2.3 TFLOP/s (257 × 4096 × 1024 in 1.0 ms,
    /// 1024 × 4096 × 1024 in 3.7 ms) where oneDNN 2.6's AMX matmul ran the ViT's products at ~1.2.
    public static func usesAMXBFloat16Kernel(outFeatures: Int, inFeatures: Int) -> Bool {
        outFeatures > 0 && inFeatures > 0 && altclip_has_amx_bf16() != 0
            && altclip_amx_bf16_shape_supported(outFeatures, inFeatures) != 0
    }

    /// The layout of the logical `[in, out]` matrix the matmul reads as its weights.
    let descriptor: dnnl_memory_desc_t
    let data: UnsafeMutableRawPointer
    /// Bytes of weight data.
    public let byteCount: Int
    /// The Float32 tensor a weight read in place uses (kept alive with it).
    private let stored: Tensor?
    /// Whatever else keeps borrowed `data` alive (a mapped checkpoint), or nil.
    private let owner: AnyObject?
    /// Whether `data` was allocated here.
    private let ownsData: Bool
    /// A oneDNN memory object over `data`, shared by every product (only read).
    let memory: dnnl_memory_t
    /// int8: the per-output-channel scales (`W[o, k] ≈ channelScales[o] · q[o, k]`), followed by the
    /// channels' code sums `Σ_k q[o, k]` (exact as Float: |sum| ≤ 127·in < 2²⁴), which turn the
    /// activations' zero point into a bias correction; nil otherwise.
    let channelScales: UnsafeMutablePointer<Float>?
    /// int8: `Σ_k q[o, k]` per output channel (see `channelScales`).
    var channelSums: UnsafePointer<Float>? { channelScales.map { UnsafePointer($0 + outFeatures) } }

    /// Packs `weight` `[out, in]` (Float32; converted to `precision`). When `weight` borrows mapped
    /// memory its pages are handed back afterwards (it is not read again).
    /// For `.int8` the weight is quantized first: per output channel `scale = max|w| / 127`,
    /// `q = round(w / scale)` (ties to even; an all-zero row gets scale 0), and only `q` is packed.
    public convenience init(_ weight: Tensor, precision: Precision) throws {
        guard weight.rank == 2, weight.count > 0 else {
            throw TensorError.shapeMismatch(operation: "MatmulWeight", expected: "a non-empty [out, in]", actual: weight.shape)
        }
        if precision == .int8 {
            let (codes, scales) = MatmulWeight.quantizePerChannel(weight)
            defer { codes.deallocate() }
            let (out, inputs) = (weight.shape[0], weight.shape[1])
            if MatmulWeight.usesAMXKernel(outFeatures: out, inFeatures: inputs) {
                try self.init(amx: .int8, outFeatures: out, inFeatures: inputs, channelScales: scales) { blocks, packed in
                    altclip_amx_s8_pack(codes, out, inputs, blocks.lowerBound * 32, blocks.upperBound * 32,
                                        packed.assumingMemoryBound(to: Int8.self))
                }
                weight.releaseBorrowedPages()
                return
            }
            do {
                try self.init(source: UnsafeMutableRawPointer(codes), type: dnnl_s8, outFeatures: weight.shape[0],
                              inFeatures: weight.shape[1], precision: .int8, channelScales: scales)
            } catch {
                scales.deallocate()
                throw error
            }
        } else if precision == .bfloat16,
                  MatmulWeight.usesAMXBFloat16Kernel(outFeatures: weight.shape[0], inFeatures: weight.shape[1]) {
            try self.init(amxBFloat16Rows: weight.shape[0], inFeatures: weight.shape[1]) { rows, target in
                // Rounded a block of rows at a time (no second copy of the whole weight).
                Kernels.roundToBFloat16(weight.pointer + rows.lowerBound * weight.shape[1],
                                        count: rows.count * weight.shape[1], into: target)
            }
        } else {
            try self.init(source: UnsafeMutableRawPointer(mutating: weight.pointer), type: dnnl_f32,
                          outFeatures: weight.shape[0], inFeatures: weight.shape[1], precision: precision)
        }
        weight.releaseBorrowedPages()
    }

    /// Symmetric per-output-channel int8 quantization of `weight` `[out, in]`: the codes (row-major,
    /// 64-byte aligned) and `[scales, code sums]` (`2·out` floats), both owned by the caller.
    static func quantizePerChannel(_ weight: Tensor) -> (UnsafeMutablePointer<Int8>, UnsafeMutablePointer<Float>) {
        let rows = weight.shape[0], cols = weight.shape[1]
        let codes = UnsafeMutableRawPointer.allocate(byteCount: rows * cols, alignment: 64)
            .bindMemory(to: Int8.self, capacity: rows * cols)
        let scales = UnsafeMutablePointer<Float>.allocate(capacity: 2 * rows)
        let w = weight.pointer
        Threading.parallelFor(rows, costPerItem: 4 * cols) { range in
            for o in range {
                var sum: Int32 = 0
                altclip_quantize_row_s8(w + o * cols, cols, codes + o * cols, scales + o, &sum)
                scales[rows + o] = Float(sum)
            }
        }
        return (codes, scales)
    }

    /// The Float32 weight `[out, in]` as it is (e.g. borrowed from the mapped checkpoint), read in place.
    public init(asStored weight: Tensor) throws {
        guard weight.rank == 2, weight.count > 0 else {
            throw TensorError.shapeMismatch(operation: "MatmulWeight", expected: "a non-empty [out, in]", actual: weight.shape)
        }
        outFeatures = weight.shape[0]
        inFeatures = weight.shape[1]
        precision = .float32
        isPacked = false
        isAMXPacked = false
        var plain = try OneDNN.matrix(inFeatures, outFeatures, dnnl_f32, transposed: true)
        descriptor = plain
        data = UnsafeMutableRawPointer(mutating: weight.pointer)
        byteCount = weight.count * 4
        stored = weight
        owner = nil
        ownsData = false
        channelScales = nil
        memory = try OneDNN.memory(&plain, data)
    }

    /// Weights packed for the library's AMX kernels (int8 or bfloat16): `pack` writes the blocks of 32
    /// outputs in its range into the packed buffer (ranges run in parallel; each block's bytes lie
    /// contiguously). Takes ownership of `channelScales` (int8).
    private init(amx precision: Precision, outFeatures: Int, inFeatures: Int, channelScales: UnsafeMutablePointer<Float>?,
                 pack: (Range<Int>, UnsafeMutableRawPointer) -> Void) throws {
        self.outFeatures = outFeatures
        self.inFeatures = inFeatures
        self.precision = precision
        isPacked = true
        isAMXPacked = true
        byteCount = precision == .int8 ? altclip_amx_s8_packed_bytes(outFeatures, inFeatures)
            : altclip_amx_bf16_packed_bytes(outFeatures, inFeatures)
        let packed = UnsafeMutableRawPointer.allocate(byteCount: byteCount, alignment: 64)
        Threading.parallelFor(outFeatures / 32, costPerItem: 32 * inFeatures) { blocks in pack(blocks, packed) }
        data = packed
        stored = nil
        owner = nil
        ownsData = true
        self.channelScales = channelScales
        // Not read by oneDNN (no matmul runs on it); describes the bytes for completeness.
        var plain = try OneDNN.matrix(inFeatures, outFeatures, precision.weightType, transposed: true)
        descriptor = plain
        do {
            memory = try OneDNN.memory(&plain, data)
        } catch {
            packed.deallocate()
            throw error
        }
    }

    /// bfloat16 weights `[out, in]` packed for the AMX kernel, their bits for a range of output rows
    /// (multiples of 32) written by `rows` into a row-major buffer.
    private convenience init(amxBFloat16Rows outFeatures: Int, inFeatures: Int,
                             _ rows: (Range<Int>, UnsafeMutablePointer<UInt16>) -> Void) throws {
        try self.init(amx: .bfloat16, outFeatures: outFeatures, inFeatures: inFeatures, channelScales: nil) { blocks, packed in
            // A range of blocks packs as a weight of its own (its bits rounded or copied first, a range at a
            // time: no copy of the whole weight).
            let first = blocks.lowerBound * 32, count = blocks.count * 32
            let bits = UnsafeMutablePointer<UInt16>.allocate(capacity: count * inFeatures)
            defer { bits.deallocate() }
            rows(first..<(first + count), bits)
            altclip_amx_bf16_pack(bits, count, inFeatures, 0, count,
                                  packed.assumingMemoryBound(to: UInt16.self) + first * inFeatures)
        }
    }

    /// bfloat16 values `[out, in]` as stored (a bf16 checkpoint's), read in place; `owner` keeps them alive.
    public convenience init(asStoredBFloat16Bits bits: UnsafePointer<UInt16>, outFeatures: Int, inFeatures: Int, owner: AnyObject) throws {
        try self.init(plainBFloat16: UnsafeMutableRawPointer(mutating: bits), outFeatures: outFeatures,
                      inFeatures: inFeatures, owner: owner, ownsData: false)
    }

    /// `weight` `[out, in]` rounded to bfloat16 in the stored layout, not packed: a streaming conversion
    /// (~4× faster than packing from Float32) whose products run at ~94% of the packed rate from 257
    /// rows up; `packed()` finishes the job later.
    public convenience init(bfloat16Rounding weight: Tensor) throws {
        guard weight.rank == 2, weight.count > 0 else {
            throw TensorError.shapeMismatch(operation: "MatmulWeight", expected: "a non-empty [out, in]", actual: weight.shape)
        }
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: weight.count * 2, alignment: 64)
        Kernels.roundToBFloat16(weight.pointer, count: weight.count,
                                into: buffer.bindMemory(to: UInt16.self, capacity: weight.count))
        do {
            try self.init(plainBFloat16: buffer, outFeatures: weight.shape[0], inFeatures: weight.shape[1],
                          owner: nil, ownsData: true)
        } catch {
            buffer.deallocate()
            throw error
        }
        weight.releaseBorrowedPages()
    }

    private init(plainBFloat16 data: UnsafeMutableRawPointer, outFeatures: Int, inFeatures: Int, owner: AnyObject?,
                 ownsData: Bool) throws {
        guard outFeatures > 0, inFeatures > 0 else {
            throw TensorError.shapeMismatch(operation: "MatmulWeight", expected: "a non-empty [out, in]",
                                            actual: [outFeatures, inFeatures])
        }
        self.outFeatures = outFeatures
        self.inFeatures = inFeatures
        precision = .bfloat16
        isPacked = false
        isAMXPacked = false
        var plain = try OneDNN.matrix(inFeatures, outFeatures, dnnl_bf16, transposed: true)
        descriptor = plain
        self.data = data
        byteCount = outFeatures * inFeatures * 2
        stored = nil
        self.owner = owner
        self.ownsData = ownsData
        channelScales = nil
        memory = try OneDNN.memory(&plain, data)
    }

    /// This weight in the packed layout (itself when already packed).
    public func packed() throws -> MatmulWeight {
        if isPacked { return self }
        if let stored { return try MatmulWeight(stored, precision: precision) }
        // Unpacked and not Float32: bfloat16 bits.
        return try MatmulWeight(bfloat16Bits: data.assumingMemoryBound(to: UInt16.self), outFeatures: outFeatures,
                                inFeatures: inFeatures, precision: precision)
    }

    /// Packs a bfloat16 weight `[out, in]` given as raw bits (e.g. straight from a bf16 checkpoint,
    /// without widening it to Float32 first), for `precision` products (Float32 widens exactly).
    /// (`.int8` is quantized from the widened values.)
    public convenience init(bfloat16Bits: UnsafePointer<UInt16>, outFeatures: Int, inFeatures: Int,
                            precision: Precision = .bfloat16) throws {
        if precision == .int8 {
            try self.init(Tensor(shape: [outFeatures, inFeatures], widening: bfloat16Bits, bfloat16: true), precision: .int8)
            return
        }
        if precision == .bfloat16, MatmulWeight.usesAMXBFloat16Kernel(outFeatures: outFeatures, inFeatures: inFeatures) {
            try self.init(amxBFloat16Rows: outFeatures, inFeatures: inFeatures) { rows, target in
                target.update(from: bfloat16Bits + rows.lowerBound * inFeatures, count: rows.count * inFeatures)
            }
            return
        }
        try self.init(source: UnsafeMutableRawPointer(mutating: bfloat16Bits), type: dnnl_bf16,
                      outFeatures: outFeatures, inFeatures: inFeatures, precision: precision)
    }

    private init(source: UnsafeMutableRawPointer, type: dnnl_data_type_t, outFeatures: Int, inFeatures: Int,
                 precision: Precision, channelScales: UnsafeMutablePointer<Float>? = nil) throws {
        guard outFeatures > 0, inFeatures > 0 else {
            throw TensorError.shapeMismatch(operation: "MatmulWeight", expected: "a non-empty [out, in]",
                                            actual: [outFeatures, inFeatures])
        }
        self.outFeatures = outFeatures
        self.inFeatures = inFeatures
        self.precision = precision
        isPacked = true
        isAMXPacked = false
        stored = nil
        owner = nil
        ownsData = true
        self.channelScales = channelScales
        let target = try MatmulWeight.packedLayout(outFeatures: outFeatures, inFeatures: inFeatures,
                                                   precision: precision)
        descriptor = target
        var packed = target
        byteCount = dnnl_memory_desc_get_size(&packed)
        data = UnsafeMutableRawPointer.allocate(byteCount: max(byteCount, 1), alignment: 64)
        do {
            memory = try OneDNN.memory(&packed, data)
            var plain = try OneDNN.matrix(inFeatures, outFeatures, type, transposed: true)
            try OneDNN.reorder(from: &plain, source, to: &packed, data)
        } catch {
            data.deallocate()
            throw error
        }
    }

    deinit {
        dnnl_memory_destroy(memory)
        if ownsData { data.deallocate() }
        channelScales?.deallocate()
    }

    /// The weight back as Float32 `[out, in]`: the values the products use (bfloat16 widened exactly,
    /// int8 codes times their channel's scale).
    public func unpacked() throws -> Tensor {
        if let stored { return stored }
        let result = Tensor(uninitializedShape: [outFeatures, inFeatures])
        var packed = descriptor
        if let channelScales {
            let count = outFeatures * inFeatures
            let codes = UnsafeMutableRawPointer.allocate(byteCount: count, alignment: 64)
            defer { codes.deallocate() }
            if isAMXPacked {
                altclip_amx_s8_unpack(data.assumingMemoryBound(to: Int8.self), outFeatures, inFeatures,
                                      codes.assumingMemoryBound(to: Int8.self))
            } else {
                var plain = try OneDNN.matrix(inFeatures, outFeatures, dnnl_s8, transposed: true)
                try OneDNN.reorder(from: &packed, data, to: &plain, codes)
            }
            let q = codes.assumingMemoryBound(to: Int8.self), out = result.storage.pointer
            for o in 0..<outFeatures {
                let scale = channelScales[o]
                for k in 0..<inFeatures { out[o * inFeatures + k] = scale * Float(q[o * inFeatures + k]) }
            }
            return result
        }
        if isAMXPacked {  // bfloat16
            let count = outFeatures * inFeatures
            let bits = UnsafeMutablePointer<UInt16>.allocate(capacity: count)
            defer { bits.deallocate() }
            altclip_amx_bf16_unpack(data.assumingMemoryBound(to: UInt16.self), outFeatures, inFeatures, bits)
            let out = result.storage.pointer
            for i in 0..<count { out[i] = Float(bitPattern: UInt32(bits[i]) << 16) }
            return result
        }
        var plain = try OneDNN.matrix(inFeatures, outFeatures, dnnl_f32, transposed: true)
        try OneDNN.reorder(from: &packed, data, to: &plain, UnsafeMutableRawPointer(result.storage.pointer))
        return result
    }

    /// The oneDNN kernel that runs products with `rows` rows (e.g. "brg:avx512_core_bf16"), for
    /// reports and tests.
    public func kernelName(rows: Int) throws -> String {
        if isAMXPacked { return precision == .int8 ? "amx:u8s8 (own kernel)" : "amx:bf16 (own kernel)" }
        let key = MatmulPrimitive.Key(rows: rows, outFeatures: outFeatures, inFeatures: inFeatures, precision: precision,
                                      packed: isPacked, bias: true, activation: nil, residual: false,
                                      threads: Threading.threadCount)
        return try MatmulPrimitive.primitive(for: key, weight: self).implementation
    }

    /// The layout oneDNN's matmul picks for these weights ("any"), asked of a primitive with a typical
    /// row count; products with other row counts reuse it (`MatmulPrimitive` checks they stay on the
    /// optimized kernels).
    private static func packedLayout(outFeatures: Int, inFeatures: Int, precision: Precision) throws
        -> dnnl_memory_desc_t {
        guard let engine = OneDNN.engine else { throw TensorError.backend("oneDNN has no CPU engine") }
        var source = try OneDNN.matrix(256, inFeatures, precision.sourceType)
        var weights = dnnl_memory_desc_t()
        var dims: [Int64] = [Int64(inFeatures), Int64(outFeatures)]
        try OneDNN.check(dnnl_memory_desc_init_by_tag(&weights, 2, &dims, precision.weightType, dnnl_format_tag_any),
                         "weights desc")
        var destination = try OneDNN.matrix(256, outFeatures, dnnl_f32)
        var operation = dnnl_matmul_desc_t()
        try OneDNN.check(dnnl_matmul_desc_init(&operation, &source, &weights, nil, &destination), "matmul_desc_init")
        var descriptor: dnnl_primitive_desc_t?
        try OneDNN.check(dnnl_primitive_desc_create(&descriptor, &operation, nil, engine, nil),
                         "matmul primitive_desc_create [\(inFeatures), \(outFeatures)] \(precision)")
        defer { dnnl_primitive_desc_destroy(descriptor) }
        guard let chosen = dnnl_primitive_desc_query_md(descriptor, dnnl_query_weights_md, 0) else {
            throw TensorError.backend("oneDNN matmul reported no weights layout")
        }
        return chosen.pointee
    }
}

extension Precision {
    /// The element type of the activations fed to a product.
    var sourceType: dnnl_data_type_t {
        switch self {
        case .float32: dnnl_f32
        case .bfloat16: dnnl_bf16
        case .int8: dnnl_u8
        }
    }

    /// The element type of packed weights.
    var weightType: dnnl_data_type_t {
        switch self {
        case .float32: dnnl_f32
        case .bfloat16: dnnl_bf16
        case .int8: dnnl_s8
        }
    }
}

extension OneDNN {
    /// Copies `source` (layout `from`) into `target` (layout `to`), converting types and layouts.
    static func reorder(from: UnsafeMutablePointer<dnnl_memory_desc_t>, _ source: UnsafeMutableRawPointer,
                        to: UnsafeMutablePointer<dnnl_memory_desc_t>, _ target: UnsafeMutableRawPointer) throws {
        guard let engine else { throw TensorError.backend("oneDNN has no CPU engine") }
        var descriptor: dnnl_primitive_desc_t?
        try check(dnnl_reorder_primitive_desc_create(&descriptor, from, engine, to, engine, nil), "reorder_primitive_desc_create")
        defer { dnnl_primitive_desc_destroy(descriptor) }
        var primitive: dnnl_primitive_t?
        try check(dnnl_primitive_create(&primitive, descriptor), "reorder primitive_create")
        defer { dnnl_primitive_destroy(primitive) }
        let input = try memory(from, source)
        defer { dnnl_memory_destroy(input) }
        let output = try memory(to, target)
        defer { dnnl_memory_destroy(output) }
        try OpenMPRuntime.withMaxThreads(Threading.threadCount) {
            try execute(primitive!, [dnnl_exec_arg_t(arg: DNNL_ARG_FROM, memory: input),
                                     dnnl_exec_arg_t(arg: DNNL_ARG_TO, memory: output)])
        }
    }
}
