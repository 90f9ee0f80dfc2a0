/// The arithmetic the model's linear layers (attention, MLP, projections) run in. Embeddings, layer
/// norms, the patch convolution, attention scores and everything between layers stay Float32.
public enum ComputePrecision: String, Sendable, CaseIterable, CustomStringConvertible {
    /// Exact Float32 weights and GEMMs (matches transformers within the parity tolerance). Default.
    case float32 = "fp32"
    /// Weights quantized once at load to int8 (symmetric, one scale per output channel), activations
    /// to uint8 per call (one scale and zero point per row), int32 accumulation on oneDNN's VNNI
    /// integer GEMM, Float32 dequantization and bias. About a quarter of the weight memory; embeddings
    /// agree with `float32` to a cosine similarity of about 0.999 or better.
    case int8

    /// `fp32` or `int8` (the `--dtype` spelling).
    public var description: String { rawValue }
}
