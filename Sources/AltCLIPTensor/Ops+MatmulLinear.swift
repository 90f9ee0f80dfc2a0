import CAltCLIPKernels
import CDNNL

extension Ops {
    /// `y = activation(x·Wᵀ + b) + residual` with a packed weight, in one product — oneDNN's matmul, or
    /// the library's AMX kernel for weights packed for it (`MatmulWeight.isAMXPacked`): the bias, the
    /// activation and the residual add run in the kernel's epilogue while the tile is still in
    /// registers or cache, instead of as separate passes over memory.
    ///
    /// - Parameters:
    ///   - x: `[..., in]`. For a bfloat16 weight it is rounded to bfloat16 (nearest even) first; for an
    ///     int8 weight it is quantized to uint8 with a scale and zero point (the range
    ///     `[min(0, min), max(0, max)]` in 255 steps, so zero is exact): one for all of `x` as ONNX
    ///     Runtime's dynamic quantization does, or one per row on the AMX kernel
    ///     (`MatmulWeight.int8ScalesEachRow`).
    ///   - activation: fused when oneDNN has the same function (`MatmulPrimitive.eltwise`), else applied after.
    ///   - residual: `[..., out]` added last (e.g. the pre-norm stream of a transformer block).
    /// - Returns: `[..., out]`, Float32.
    /// - Throws: `TensorError.backend` when oneDNN refuses the product (not expected for valid shapes).
    public static func linear(_ x: Tensor, weight: MatmulWeight, bias: Tensor?,
                              activation: Activation? = nil, residual: Tensor? = nil) throws -> Tensor {
        let outFeatures = weight.outFeatures, inFeatures = weight.inFeatures
        precondition(x.rank >= 1 && x.shape[x.rank - 1] == inFeatures,
                     "linear: input \(x.shape) does not end in \(inFeatures)")
        if let bias { precondition(bias.count == outFeatures, "linear: bias \(bias.shape) is not [\(outFeatures)]") }
        let shape = Array(x.shape.dropLast()) + [outFeatures]
        if let residual { precondition(residual.shape == shape, "linear: residual \(residual.shape) is not \(shape)") }
        let rows = x.shape.dropLast().reduce(1, *)
        let fused = activation.flatMap { activation -> Activation? in
            let fusable = weight.isAMXPacked ? amxActivation(activation) != nil : MatmulPrimitive.eltwise(activation) != nil
            return fusable ? activation : nil
        }
        let result = Tensor(uninitializedShape: shape)
        if rows > 0 {
            // An activation oneDNN lacks runs after the product, so the residual add must wait for it too.
            try runPacked(x, rows: rows, weight: weight, bias: bias, activation: fused,
                          residual: fused == nil && activation != nil && activation != .linear ? nil : residual,
                          into: result)
        }
        if let activation, fused == nil, activation != .linear {
            return epilogue(result, activation: activation, residual: residual)
        }
        return result
    }

    /// `activation(y) + residual`, as separate passes: what the fused products do in their epilogue, for
    /// the paths that cannot fuse.
    public static func epilogue(_ y: Tensor, activation: Activation?, residual: Tensor?) -> Tensor {
        var out = y
        if let activation { out = Ops.activate(out, activation) }
        if let residual { out = Ops.add(out, residual) }
        return out
    }

    // swiftlint:disable:next function_parameter_count
    private static func runPacked(_ x: Tensor, rows: Int, weight: MatmulWeight, bias: Tensor?,
                                  activation: Activation?, residual: Tensor?, into result: Tensor) throws {
        if weight.isAMXPacked, weight.precision == .bfloat16 {
            try runAMXBFloat16(x, rows: rows, weight: weight, bias: bias, activation: activation, residual: residual,
                               into: result)
            return
        }
        guard weight.precision == .int8 else {
            var sourceHandle = UnsafeMutableRawPointer(mutating: x.pointer)
            var converted: UnsafeMutableRawPointer?
            let convertedBytes = max(rows * weight.inFeatures * 2, 1)
            defer { if let converted { BufferPool.give(converted, byteCount: convertedBytes) } }
            if weight.precision == .bfloat16 {
                let buffer = BufferPool.take(byteCount: convertedBytes)  // reused between calls of the same shape
                converted = buffer
                Kernels.roundToBFloat16(x.pointer, count: rows * weight.inFeatures,
                                        into: buffer.bindMemory(to: UInt16.self, capacity: rows * weight.inFeatures))
                sourceHandle = buffer
            }
            try execute(weight, rows: rows, source: sourceHandle, bias: bias.map { UnsafeMutableRawPointer(mutating: $0.pointer) },
                        scales: nil, activation: activation, residual: residual.map { UnsafeMutableRawPointer(mutating: $0.pointer) },
                        destination: UnsafeMutableRawPointer(result.storage.pointer))
            return
        }
        guard let channelScales = weight.channelScales, let channelSums = weight.channelSums else {
            throw TensorError.backend("int8 weight without channel scales")
        }
        if weight.isAMXPacked {
            try runAMX(x, rows: rows, weight: weight, channelScales: channelScales, channelSums: channelSums, bias: bias,
                       activation: activation, residual: residual, into: result)
            return
        }
        // One scale and zero point for all rows: one product over the whole batch. (Blocks of ~256 rows
        // with their own scales measured 10–20 % slower at 2056 rows here: each block re-reads the weights.)
        let n = weight.outFeatures, codesBytes = max(rows * weight.inFeatures, 1)
        let codes = BufferPool.take(byteCount: codesBytes)
        let vectors = BufferPool.take(byteCount: 2 * n * 4)
        defer {
            BufferPool.give(codes, byteCount: codesBytes)
            BufferPool.give(vectors, byteCount: 2 * n * 4)
        }
        var zeroPoint: Int32 = 0
        let activationScale = quantizeActivations(x.pointer, count: rows * weight.inFeatures,
                                                  into: codes.assumingMemoryBound(to: UInt8.self), zeroPoint: &zeroPoint)
        // y = s·s_o·(Σ q·w − z·Σ w) + b = scale[o]·acc + (b[o] − scale[o]·z·Σ_k w[o, k])
        let scales = vectors.assumingMemoryBound(to: Float.self), shift = scales + n
        let biasPointer = bias?.pointer, z = Float(zeroPoint)
        for o in 0..<n {
            let scale = activationScale * channelScales[o]
            scales[o] = scale
            shift[o] = (biasPointer?[o] ?? 0) - scale * z * channelSums[o]
        }
        try execute(weight, rows: rows, source: codes, bias: UnsafeMutableRawPointer(shift),
                    scales: UnsafeMutableRawPointer(scales), activation: activation,
                    residual: residual.map { UnsafeMutableRawPointer(mutating: $0.pointer) },
                    destination: UnsafeMutableRawPointer(result.storage.pointer))
    }

    /// The activations an AMX-packed int8 product applies itself (`altclip_amx_epilogue`), as the C enum.
    static func amxActivation(_ activation: Activation) -> Int32? {
        switch activation {
        case .linear: Int32(ALTCLIP_AMX_NO_ACTIVATION)
        case .quickGelu: Int32(ALTCLIP_AMX_QUICK_GELU)
        case .gelu, .geluPython: Int32(ALTCLIP_AMX_GELU_ERF)
        default: nil
        }
    }

    /// An int8 product on the library's AMX kernel: each row of `x` quantized with its own scale and zero
    /// point straight into the kernel's blocked layout (see `MatmulWeight.int8ScalesEachRow`), then each
    /// thread's share of output columns with the dequantization, zero-point correction, bias,
    /// activation and residual applied per 32 × 32 block.
    // swiftlint:disable:next function_parameter_count
    private static func runAMX(_ x: Tensor, rows: Int, weight: MatmulWeight, channelScales: UnsafeMutablePointer<Float>,
                               channelSums: UnsafePointer<Float>, bias: Tensor?, activation: Activation?,
                               residual: Tensor?, into result: Tensor) throws {
        let n = weight.outFeatures, k = weight.inFeatures
        guard MatmulWeight.usesAMXKernel(outFeatures: n, inFeatures: k) else {
            throw TensorError.backend("an AMX-packed int8 weight [\(n), \(k)] on a CPU without AMX-INT8")
        }
        let codesBytes = altclip_amx_u8_blocked_bytes(rows, k), rowBytes = 2 * rows * 4
        let codes = BufferPool.take(byteCount: codesBytes).assumingMemoryBound(to: UInt8.self)
        let rowScales = BufferPool.take(byteCount: rowBytes).assumingMemoryBound(to: Float.self)
        defer {
            BufferPool.give(UnsafeMutableRawPointer(codes), byteCount: codesBytes)
            BufferPool.give(UnsafeMutableRawPointer(rowScales), byteCount: rowBytes)
        }
        let rowZeros = rowScales + rows, source = x.pointer
        // Each row (token) gets its own scale and zero point, in one pass over the row.
        Threading.parallelFor(rows, costPerItem: k / 4) { range in
            altclip_amx_u8_quantize_rows_own_scale(source + range.lowerBound * k, range.count, k, range.lowerBound,
                                                   codes, rowScales, rowZeros)
        }
        var epilogue = altclip_amx_epilogue(
            scale: channelScales, bias: bias?.pointer, column_sums: channelSums, row_scale: rowScales, row_zero: rowZeros,
            residual: residual?.pointer, activation: activation.flatMap(amxActivation) ?? Int32(ALTCLIP_AMX_NO_ACTIVATION))
        let packed = weight.data.assumingMemoryBound(to: Int8.self), out = result.storage.pointer
        // The kernel runs whenever the weight could be packed for it (same CPU, same shape rules).
        withUnsafePointer(to: &epilogue) { e in
            Threading.parallelFor(n / 32, costPerItem: 64 * rows * k) { blocks in
                _ = altclip_amx_u8s8_gemm(codes, rows, k, packed, n, blocks.lowerBound * 32, blocks.upperBound * 32, e, out)
            }
        }
    }

    /// A bfloat16 product on the library's AMX kernel: the rows of `x` rounded to bfloat16 straight into
    /// the kernel's blocked layout, then each thread's share of output columns with the bias,
    /// activation and residual applied per 32 × 32 block.
    // swiftlint:disable:next function_parameter_count
    private static func runAMXBFloat16(_ x: Tensor, rows: Int, weight: MatmulWeight, bias: Tensor?, activation: Activation?,
                                       residual: Tensor?, into result: Tensor) throws {
        let n = weight.outFeatures, k = weight.inFeatures
        guard MatmulWeight.usesAMXBFloat16Kernel(outFeatures: n, inFeatures: k) else {
            throw TensorError.backend("an AMX-packed bfloat16 weight [\(n), \(k)] on a CPU without AMX-BF16")
        }
        let bytes = altclip_amx_bf16_blocked_bytes(rows, k)
        let blocked = BufferPool.take(byteCount: bytes).assumingMemoryBound(to: UInt16.self)
        defer { BufferPool.give(UnsafeMutableRawPointer(blocked), byteCount: bytes) }
        let source = x.pointer
        Threading.parallelFor(rows, costPerItem: k / 8) { range in
            altclip_amx_bf16_convert_rows(source + range.lowerBound * k, range.count, k, range.lowerBound, blocked)
        }
        var epilogue = altclip_amx_epilogue(
            scale: nil, bias: bias?.pointer, column_sums: nil, row_scale: nil, row_zero: nil, residual: residual?.pointer,
            activation: activation.flatMap(amxActivation) ?? Int32(ALTCLIP_AMX_NO_ACTIVATION))
        let packed = weight.data.assumingMemoryBound(to: UInt16.self), out = result.storage.pointer
        withUnsafePointer(to: &epilogue) { e in
            Threading.parallelFor(n / 32, costPerItem: 64 * rows * k) { blocks in
                _ = altclip_amx_bf16_gemm(blocked, rows, k, packed, n, blocks.lowerBound * 32, blocks.upperBound * 32, e, out)
            }
        }
    }

    /// One oneDNN matmul over raw buffers (`source` already in the weight's source type).
    // swiftlint:disable:next function_parameter_count
    private static func execute(_ weight: MatmulWeight, rows: Int, source: UnsafeMutableRawPointer,
                                bias: UnsafeMutableRawPointer?, scales: UnsafeMutableRawPointer?, activation: Activation?,
                                residual: UnsafeMutableRawPointer?, destination: UnsafeMutableRawPointer) throws {
        let threads = Threading.threadCount
        let int8 = weight.precision == .int8
        let key = MatmulPrimitive.Key(rows: rows, outFeatures: weight.outFeatures, inFeatures: weight.inFeatures,
                                      precision: weight.precision, packed: weight.isPacked, bias: int8 || bias != nil,
                                      activation: activation, residual: residual != nil, threads: threads)
        let matmul = try MatmulPrimitive.primitive(for: key, weight: weight)
        var sourceDescriptor = try OneDNN.matrix(rows, weight.inFeatures, weight.precision.sourceType)
        var destinationDescriptor = try OneDNN.matrix(rows, weight.outFeatures, dnnl_f32)
        var vectorDescriptor = try OneDNN.matrix(1, weight.outFeatures, dnnl_f32)
        var memories: [dnnl_memory_t] = []
        defer { for memory in memories { dnnl_memory_destroy(memory) } }
        func make(_ descriptor: inout dnnl_memory_desc_t, _ handle: UnsafeMutableRawPointer) throws -> dnnl_memory_t {
            let memory = try OneDNN.memory(&descriptor, handle)
            memories.append(memory)
            return memory
        }
        var arguments = [
            dnnl_exec_arg_t(arg: DNNL_ARG_SRC, memory: try make(&sourceDescriptor, source)),
            dnnl_exec_arg_t(arg: DNNL_ARG_WEIGHTS, memory: weight.memory),
            dnnl_exec_arg_t(arg: DNNL_ARG_DST, memory: try make(&destinationDescriptor, destination)),
        ]
        if let bias {
            arguments.append(dnnl_exec_arg_t(arg: matmul.biasArgument ?? Int32(DNNL_ARG_BIAS),
                                             memory: try make(&vectorDescriptor, bias)))
        }
        if let scales, let index = matmul.scaleArgument {
            arguments.append(dnnl_exec_arg_t(arg: index, memory: try make(&vectorDescriptor, scales)))
        }
        if let residual, let index = matmul.residualArgument {
            var residualDescriptor = destinationDescriptor
            arguments.append(dnnl_exec_arg_t(arg: index, memory: try make(&residualDescriptor, residual)))
        }
        if matmul.scratchpadBytes > 0 {
            var scratchDescriptor = dnnl_memory_desc_t()
            var dims: [Int64] = [Int64(matmul.scratchpadBytes)]
            try OneDNN.check(dnnl_memory_desc_init_by_tag(&scratchDescriptor, 1, &dims, dnnl_u8, dnnl_a), "scratchpad desc")
            let scratch = try OneDNN.scratchpad(bytes: matmul.scratchpadBytes)
            arguments.append(dnnl_exec_arg_t(arg: DNNL_ARG_SCRATCHPAD, memory: try make(&scratchDescriptor, scratch)))
        }
        try OpenMPRuntime.withMaxThreads(threads) {
            try OneDNN.execute(matmul.primitive, arguments)
        }
    }

    /// Quantizes `count` floats to uint8 with one scale `s` and zero point `z` for all of them
    /// (`x ≈ s · (q − z)`; range `[min(0, min x), max(0, max x)]`, so zero is exact), ties to even.
    /// Returns `s`. NaNs are left out of the range (and give code 0).
    static func quantizeActivations(_ x: UnsafePointer<Float>, count: Int, into codes: UnsafeMutablePointer<UInt8>,
                                    zeroPoint: inout Int32) -> Float {
        let chunk = 1 << 16
        let chunks = (count + chunk - 1) / chunk
        let lows = UnsafeMutablePointer<Float>.allocate(capacity: max(chunks, 1))
        let highs = UnsafeMutablePointer<Float>.allocate(capacity: max(chunks, 1))
        defer { lows.deallocate(); highs.deallocate() }
        // The AVX-512 passes cost ~0.1 ns per value: below ~2M values one thread finishes before a second
        // would wake (waking a sleeping OpenMP thread costs tens of µs on a shared machine).
        let cost = chunk / 8
        Threading.parallelFor(chunks, costPerItem: cost) { range in
            for c in range {
                var low: Float = 0, high: Float = 0
                let start = c * chunk
                altclip_min_max(x + start, min(chunk, count - start), &low, &high)
                lows[c] = low
                highs[c] = high
            }
        }
        var low: Float = 0, high: Float = 0
        for c in 0..<chunks {
            low = min(low, lows[c])
            high = max(high, highs[c])
        }
        var scale = (high - low) / 255
        if !(scale > 0) || !scale.isFinite { scale = 1 }
        let zero = roundedToEven(min(max(-low / scale, 0), 255))
        zeroPoint = Int32(zero)
        let inverse = 1 / scale, point = zeroPoint
        Threading.parallelFor(chunks, costPerItem: cost) { range in
            for c in range {
                let start = c * chunk
                altclip_quantize_u8(x + start, min(chunk, count - start), inverse, point, codes + start)
            }
        }
        return scale
    }
}

extension Ops {
    /// Round to nearest, ties to even, for |v| < 2²² (larger values and NaN come back unchanged or
    /// off by less than one step; callers clamp afterwards): adding and removing 1.5·2²³ leaves no
    /// fraction bits under the default rounding mode. Plain arithmetic, so loops using it vectorize.
    @inline(__always)
    static func roundedToEven(_ v: Float) -> Float {
        let magic: Float = 12_582_912
        return (v + magic) - magic
    }
}
