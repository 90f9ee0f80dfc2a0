/// The arithmetic a linear layer's product runs in (`LinearWeight`, `MatmulWeight`). The model target
/// names it `ComputePrecision`; the CLI's and the bench's `--dtype` parse it once with `init?(rawValue:)`.
/// Everything outside the products (embeddings, layer norms, the patch convolution, softmax, the
/// residual stream) stays Float32.
public enum Precision: String, Sendable, CaseIterable, CustomStringConvertible {
    /// Exact Float32 weights and GEMMs (matches transformers within the parity tolerance). Default.
    case float32 = "fp32"
    /// Weights rounded once to bfloat16 (nearest even) and activations rounded per product; the CPU's
    /// bfloat16 dot products with Float32 accumulation (on CPUs with AMX-BF16 the library's own AMX
    /// kernel, elsewhere oneDNN's AVX-512 BF16); Float32 bias, activation and residual. Half the
    /// weights' memory. Not bit-comparable with transformers.
    case bfloat16 = "bf16"
    /// Weights quantized once to int8 (symmetric, one scale per output channel) and packed; activations
    /// quantized per product to uint8: on CPUs with AMX-INT8 the library's own AMX kernel, with one scale
    /// and zero point per row (token); elsewhere oneDNN's (AVX-512 VNNI) with one for the whole input,
    /// as ONNX Runtime's `quantize_dynamic` (`MatmulWeight.int8ScalesEachRow`). int32 accumulation; the
    /// scales, zero-point correction, bias, activation and residual applied in the product's epilogue.
    /// A quarter of the weights' memory. The model keeps the few layers whose int8 error the
    /// embeddings feel most in bfloat16 (the text tower's last layers and its projections), so that
    /// both towers stay ≥ 0.999 cosine to fp32. Not bit-comparable with transformers.
    case int8

    /// `fp32`, `bf16` or `int8` (the `--dtype` spelling).
    public var description: String { rawValue }
}
