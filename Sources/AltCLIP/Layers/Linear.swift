import AltCLIPTensor

/// `nn.Linear`: keys `weight` [out, in] and, when present, `bias` [out].
///
/// Every matmul with a learned weight goes through here, so this is where the weight layout and
/// `ComputePrecision` are decided, once, at load:
/// - fp32 as stored (zero-copy from a mapped checkpoint);
/// - fp32 transposed to [in, out]: oneDNN's sgemm runs `X·W` about 1.4× faster than `X·Wᵀ` at the
///   vision tower's 257+ rows (210 vs 147 GFLOP/s measured here), while with few rows (text at batch 1)
///   the stored layout is served by `W·Xᵀ` nearly as fast and needs neither the copy nor its memory;
/// - `.int8`: quantized once, no Float32 copy kept.
public struct Linear: @unchecked Sendable {
    enum Weights {
        /// [out, in], as in the checkpoint.
        case float32(Tensor)
        /// [in, out].
        case float32Transposed(Tensor)
        case int8(QuantizedWeight)
    }

    let weights: Weights
    public let bias: Tensor?

    /// The weight [out, in] as Float32 (a copy when kept transposed; dequantized values for `.int8`).
    public var weight: Tensor {
        switch weights {
        case let .float32(w): return w
        case let .float32Transposed(t): return t.transposed(0, 1)
        case let .int8(q): return q.dequantized()
        }
    }

    /// The arithmetic this layer runs in.
    public var precision: ComputePrecision {
        switch weights {
        case .float32, .float32Transposed: return .float32
        case .int8: return .int8
        }
    }

    public var inputFeatures: Int {
        switch weights {
        case let .float32(w): return w.shape[1]
        case let .float32Transposed(t): return t.shape[0]
        case let .int8(q): return q.inFeatures
        }
    }

    public var outputFeatures: Int {
        switch weights {
        case let .float32(w): return w.shape[0]
        case let .float32Transposed(t): return t.shape[1]
        case let .int8(q): return q.outFeatures
        }
    }

    /// Loads from `scope` (`weight`, `bias`); `weightStd` is the random-initialisation std. The weight
    /// is converted to the loader's `precision`; in fp32, `transpose` keeps it as [in, out] (for layers
    /// that see many rows per call).
    init(_ scope: WeightScope, input: Int, output: Int, bias hasBias: Bool = true, weightStd: Float,
         transpose: Bool = false) throws {
        let w = try scope.parameter("weight", shape: [output, input], initializer: .normal(std: weightStd))
        switch scope.loader.precision {
        case .float32:
            if transpose {
                weights = .float32Transposed(w.transposed(0, 1))
                w.releaseBorrowedPages()  // the mapped original is no longer read
            } else {
                weights = .float32(w)
            }
        case .int8: weights = .int8(QuantizedWeight(w))
        }
        bias = hasBias ? try scope.parameter("bias", shape: [output], initializer: .zeros) : nil
    }

    public func callAsFunction(_ x: Tensor) -> Tensor {
        switch weights {
        case let .float32(w): return Ops.linear(x, weight: w, bias: bias)
        case let .float32Transposed(t): return Ops.linear(x, transposedWeight: t, bias: bias)
        case let .int8(q): return Ops.quantizedLinear(x, weight: q, bias: bias)
        }
    }
}
