import CDNNL
import Foundation

/// One oneDNN matmul primitive `dst[M, N] = epilogue(src[M, K] · W[K, N] + bias)` for a weight layout,
/// created once per shape and epilogue and cached for the life of the process (oneDNN's kernels are
/// JIT-compiled at creation, ~0.1–1 ms; a call then costs only argument set-up).
///
/// int8 products (`u8` activations, `s8` weights, `s32` accumulation) take their dequantization as the
/// first post-op, a multiply by a per-call `[1, N]` vector (activation scale × channel scale), and the
/// bias as the second, an add of a per-call `[1, N]` vector that also carries the activations' zero
/// point (`− scale·z·Σ_k q[o, k]`): both are runtime data, so one primitive serves every weight of a
/// shape. (oneDNN 2.6 keeps its AMX/VNNI kernels only for output scales fixed at creation, or for such
/// binary post-ops; runtime output scales or per-row operands fall back to reference kernels, and its
/// own runtime zero point costs up to 2.7× the product's time for K = 4096.)
final class MatmulPrimitive: @unchecked Sendable {
    struct Key: Hashable {
        let rows: Int, outFeatures: Int, inFeatures: Int
        let precision: Precision
        /// Packed layout, or the stored `[out, in]` read in place.
        let packed: Bool
        let bias: Bool
        let activation: Activation?
        let residual: Bool
        let threads: Int
    }

    let primitive: dnnl_primitive_t
    let scratchpadBytes: Int
    /// The implementation oneDNN picked, e.g. "brg:avx512_core_bf16" (for tests and `--verbose` output).
    let implementation: String
    /// The execution-argument index of the residual (binary add post-op), if any.
    let residualArgument: Int32?
    /// int8: the execution-argument indices of the dequantization scales and of the bias (post-ops).
    let scaleArgument: Int32?
    let biasArgument: Int32?

    private init(key: Key, weights: dnnl_memory_desc_t) throws {
        guard let engine = OneDNN.engine else { throw TensorError.backend("oneDNN has no CPU engine") }
        let int8 = key.precision == .int8
        var source = try OneDNN.matrix(key.rows, key.inFeatures, key.precision.sourceType)
        var weights = weights
        var destination = try OneDNN.matrix(key.rows, key.outFeatures, dnnl_f32)
        var bias = try OneDNN.matrix(1, key.outFeatures, dnnl_f32)
        var operation = dnnl_matmul_desc_t()
        try withUnsafeMutablePointer(to: &bias) { biasPointer in
            try OneDNN.check(dnnl_matmul_desc_init(&operation, &source, &weights, key.bias && !int8 ? biasPointer : nil,
                                                   &destination), "matmul_desc_init")
        }

        var attributes: dnnl_primitive_attr_t?
        try OneDNN.check(dnnl_primitive_attr_create(&attributes), "primitive_attr_create")
        defer { dnnl_primitive_attr_destroy(attributes) }
        try OneDNN.check(dnnl_primitive_attr_set_scratchpad_mode(attributes, dnnl_scratchpad_mode_user), "scratchpad mode")
        var postOps: dnnl_post_ops_t?
        try OneDNN.check(dnnl_post_ops_create(&postOps), "post_ops_create")
        defer { dnnl_post_ops_destroy(postOps) }
        var count: Int32 = 0
        // DNNL_ARG_ATTR_MULTIPLE_POST_OP(index) | DNNL_ARG_SRC_1
        func binaryArgument(_ index: Int32) -> Int32 {
            Int32(DNNL_ARG_ATTR_MULTIPLE_POST_OP_BASE) * (index + 1) | Int32(DNNL_ARG_SRC_1)
        }
        if int8 {
            var row = try OneDNN.matrix(1, key.outFeatures, dnnl_f32)
            try OneDNN.check(dnnl_post_ops_append_binary(postOps, dnnl_binary_mul, &row), "append_binary mul")
            scaleArgument = binaryArgument(count)
            count += 1
            try OneDNN.check(dnnl_post_ops_append_binary(postOps, dnnl_binary_add, &row), "append_binary bias")
            biasArgument = binaryArgument(count)
            count += 1
        } else {
            scaleArgument = nil
            biasArgument = nil
        }
        if let activation = key.activation {
            guard let (algorithm, alpha, beta) = MatmulPrimitive.eltwise(activation) else {
                throw TensorError.backend("oneDNN matmul: \(activation.rawValue) cannot be fused")
            }
            try OneDNN.check(dnnl_post_ops_append_eltwise(postOps, 1, algorithm, alpha, beta), "append_eltwise")
            count += 1
        }
        if key.residual {
            var residual = try OneDNN.matrix(key.rows, key.outFeatures, dnnl_f32)
            try OneDNN.check(dnnl_post_ops_append_binary(postOps, dnnl_binary_add, &residual), "append_binary")
            residualArgument = binaryArgument(count)
            count += 1
        } else {
            residualArgument = nil
        }
        if count > 0 { try OneDNN.check(dnnl_primitive_attr_set_post_ops(attributes, postOps), "set_post_ops") }

        var descriptor: dnnl_primitive_desc_t?
        try OpenMPRuntime.withMaxThreads(key.threads) {
            try OneDNN.check(dnnl_primitive_desc_create(&descriptor, &operation, attributes, engine, nil),
                             "matmul primitive_desc_create \(key)")
        }
        defer { dnnl_primitive_desc_destroy(descriptor) }
        var name: UnsafePointer<CChar>?
        dnnl_primitive_desc_query(descriptor, dnnl_query_impl_info_str, 0, &name)
        implementation = name.map { String(cString: $0) } ?? "?"
        scratchpadBytes = dnnl_primitive_desc_query_md(descriptor, dnnl_query_scratchpad_md, 0)
            .map { dnnl_memory_desc_get_size($0) } ?? 0
        var primitive: dnnl_primitive_t?
        try OpenMPRuntime.withMaxThreads(key.threads) {
            try OneDNN.check(dnnl_primitive_create(&primitive, descriptor), "matmul primitive_create")
        }
        self.primitive = primitive!
    }

    deinit { dnnl_primitive_destroy(primitive) }

    /// The fused form of `activation` as a oneDNN eltwise post-op, if it has one with the same formula.
    static func eltwise(_ activation: Activation) -> (dnnl_alg_kind_t, Float, Float)? {
        switch activation {
        case .gelu, .geluPython: return (dnnl_eltwise_gelu_erf, 0, 0)
        case .geluNew, .geluPytorchTanh, .geluFast, .geluAccurate, .geluPythonTanh: return (dnnl_eltwise_gelu_tanh, 0, 0)
        case .quickGelu: return (dnnl_eltwise_swish, 1.702, 0)  // x·sigmoid(1.702·x)
        case .silu, .swish: return (dnnl_eltwise_swish, 1, 0)
        case .relu: return (dnnl_eltwise_relu, 0, 0)
        case .tanh: return (dnnl_eltwise_tanh, 0, 0)
        case .sigmoid: return (dnnl_eltwise_logistic, 0, 0)
        case .relu6, .linear, .gelu10, .hardswish, .laplace, .leakyRelu, .mish, .relu2, .sqrtsoftplus: return nil
        }
    }

    private static let lock = NSLock()
    nonisolated(unsafe) private static var cache: [Key: MatmulPrimitive] = [:]

    /// The cached primitive for `key` over `weight`'s layout, created on first use.
    static func primitive(for key: Key, weight: MatmulWeight) throws -> MatmulPrimitive {
        lock.lock()
        if let cached = cache[key] {
            lock.unlock()
            return cached
        }
        lock.unlock()
        let created = try MatmulPrimitive(key: key, weights: weight.descriptor)
        lock.lock()
        defer { lock.unlock() }
        if let raced = cache[key] { return raced }
        // Distinct shapes are few in practice (batch × length combinations); bound it anyway.
        if cache.count >= 4096 { cache.removeAll() }
        cache[key] = created
        return created
    }
}
