/// The arithmetic the model's linear layers (attention, MLP, projections) run in. Embeddings, layer
/// norms, the patch convolution, attention scores and everything between layers stay Float32.
public enum ComputePrecision: String, Sendable, CaseIterable, CustomStringConvertible {
    /// Exact Float32 weights and GEMMs (matches transformers within the parity tolerance). Default.
    case float32 = "fp32"
    /// Weights rounded once at load to bfloat16 (nearest even) and activations rounded per product;
    /// the CPU's bfloat16 dot products with Float32 accumulation (oneDNN, AVX-512 BF16), Float32
    /// bias, activation and residual. Half the linear weights' memory and about twice the GEMM rate.
    /// Not bit-comparable with transformers.
    case bfloat16 = "bf16"
    /// Weights quantized once at load to int8 (symmetric, one scale per output channel), activations
    /// to uint8 per call (one scale and zero point per row), int32 accumulation on oneDNN's VNNI
    /// integer GEMM, Float32 dequantization and bias. A quarter of the linear weights' memory; on the
    /// BAAI/AltCLIP-shaped random checkpoint the embeddings' cosine similarity with transformers' fp32
    /// ones is ≥ 0.9991 (text) and ≥ 0.9996 (image). Not bit-comparable with transformers.
    case int8

    /// `fp32`, `bf16` or `int8` (the `--dtype` spelling).
    public var description: String { rawValue }
}
