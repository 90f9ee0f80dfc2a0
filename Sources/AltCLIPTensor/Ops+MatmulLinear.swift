import CDNNL

extension Ops {
    /// `y = activation(x·Wᵀ + b) + residual` with a packed weight, in one oneDNN matmul: the bias, the
    /// activation and the residual add run in the kernel's epilogue while the tile is still in
    /// registers, instead of as separate passes over memory.
    ///
    /// - Parameters:
    ///   - x: `[..., in]`. For a bfloat16 weight it is rounded to bfloat16 (nearest even) first.
    ///   - activation: fused when oneDNN has the same function (`MatmulPrimitive.eltwise`), else applied after.
    ///   - residual: `[..., out]` added last (e.g. the pre-norm stream of a transformer block).
    /// - Returns: `[..., out]`, Float32.
    public static func linear(_ x: Tensor, weight: MatmulWeight, bias: Tensor?,
                              activation: Activation? = nil, residual: Tensor? = nil) -> Tensor {
        let outFeatures = weight.outFeatures, inFeatures = weight.inFeatures
        precondition(x.rank >= 1 && x.shape[x.rank - 1] == inFeatures,
                     "linear: input \(x.shape) does not end in \(inFeatures)")
        if let bias { precondition(bias.count == outFeatures, "linear: bias \(bias.shape) is not [\(outFeatures)]") }
        let shape = Array(x.shape.dropLast()) + [outFeatures]
        if let residual { precondition(residual.shape == shape, "linear: residual \(residual.shape) is not \(shape)") }
        let rows = x.shape.dropLast().reduce(1, *)
        let fused = activation.flatMap { MatmulPrimitive.eltwise($0) == nil ? nil : $0 }
        let result = Tensor(uninitializedShape: shape)
        if rows > 0 {
            do {
                // An activation oneDNN lacks runs after the product, so the residual add must wait for it too.
                try runPacked(x, rows: rows, weight: weight, bias: bias, activation: fused,
                              residual: fused == nil && activation != nil && activation != .linear ? nil : residual,
                              into: result)
            } catch {
                // Not expected for valid shapes; keep going on the plain path rather than fail a forward.
                return unfusedFallback(x, weight: weight, bias: bias, activation: activation, residual: residual)
            }
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
        let threads = Threading.threadCount
        let key = MatmulPrimitive.Key(rows: rows, outFeatures: weight.outFeatures, inFeatures: weight.inFeatures,
                                      precision: weight.precision, packed: weight.isPacked, bias: bias != nil, activation: activation,
                                      residual: residual != nil, threads: threads)
        let matmul = try MatmulPrimitive.primitive(for: key, weight: weight)
        var sourceDescriptor = try OneDNN.matrix(rows, weight.inFeatures, weight.precision.dataType)
        var destinationDescriptor = try OneDNN.matrix(rows, weight.outFeatures, dnnl_f32)
        var biasDescriptor = try OneDNN.matrix(1, weight.outFeatures, dnnl_f32)

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
        var memories: [dnnl_memory_t] = []
        defer { for memory in memories { dnnl_memory_destroy(memory) } }
        func make(_ descriptor: inout dnnl_memory_desc_t, _ handle: UnsafeMutableRawPointer) throws -> dnnl_memory_t {
            let memory = try OneDNN.memory(&descriptor, handle)
            memories.append(memory)
            return memory
        }
        var arguments = [
            dnnl_exec_arg_t(arg: DNNL_ARG_SRC, memory: try make(&sourceDescriptor, sourceHandle)),
            dnnl_exec_arg_t(arg: DNNL_ARG_WEIGHTS, memory: weight.memory),
            dnnl_exec_arg_t(arg: DNNL_ARG_DST,
                            memory: try make(&destinationDescriptor, UnsafeMutableRawPointer(result.storage.pointer))),
        ]
        if let bias {
            arguments.append(dnnl_exec_arg_t(arg: DNNL_ARG_BIAS,
                                             memory: try make(&biasDescriptor, UnsafeMutableRawPointer(mutating: bias.pointer))))
        }
        if let residual, let index = matmul.residualArgument {
            var residualDescriptor = destinationDescriptor
            arguments.append(dnnl_exec_arg_t(arg: index, memory: try make(&residualDescriptor,
                                                                          UnsafeMutableRawPointer(mutating: residual.pointer))))
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

    private static func unfusedFallback(_ x: Tensor, weight: MatmulWeight, bias: Tensor?, activation: Activation?,
                                        residual: Tensor?) -> Tensor {
        guard let plain = try? weight.unpacked() else {
            preconditionFailure("oneDNN failed on a valid linear layer \(x.shape) × [\(weight.outFeatures), \(weight.inFeatures)]")
        }
        return epilogue(Ops.linear(x, weight: plain, bias: bias), activation: activation, residual: residual)
    }
}
