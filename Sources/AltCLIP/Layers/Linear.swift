import AltCLIPTensor

/// `nn.Linear`: keys `weight` [out, in] and, when present, `bias` [out].
///
/// The weight is kept either as stored (zero-copy from a mapped checkpoint) or transposed once at load
/// to [in, out]: oneDNN's sgemm runs `X·W` about 1.4× faster than `X·Wᵀ` at the vision tower's 257+
/// rows (210 vs 147 GFLOP/s measured here), while with few rows (text at batch 1) the stored layout is
/// served by `W·Xᵀ` nearly as fast and needs neither the copy nor its memory.
public struct Linear: @unchecked Sendable {
    enum Layout {
        /// [out, in], as in the checkpoint.
        case stored(Tensor)
        /// [in, out].
        case transposed(Tensor)
    }

    let layout: Layout
    public let bias: Tensor?

    /// The weight as transformers holds it, [out, in] (a copy when kept transposed).
    public var weight: Tensor {
        switch layout {
        case let .stored(w): return w
        case let .transposed(t): return t.transposed(0, 1)
        }
    }

    public var inputFeatures: Int {
        switch layout {
        case let .stored(w): return w.shape[1]
        case let .transposed(t): return t.shape[0]
        }
    }

    public var outputFeatures: Int {
        switch layout {
        case let .stored(w): return w.shape[0]
        case let .transposed(t): return t.shape[1]
        }
    }

    /// Loads from `scope` (`weight`, `bias`); `weightStd` is the random-initialisation std.
    /// `transpose` keeps the weight as [in, out] (for layers that see many rows per call).
    init(_ scope: WeightScope, input: Int, output: Int, bias hasBias: Bool = true, weightStd: Float,
         transpose: Bool = false) throws {
        let w = try scope.parameter("weight", shape: [output, input], initializer: .normal(std: weightStd))
        layout = transpose ? .transposed(w.transposed(0, 1)) : .stored(w)
        bias = hasBias ? try scope.parameter("bias", shape: [output], initializer: .zeros) : nil
    }

    public func callAsFunction(_ x: Tensor) -> Tensor {
        switch layout {
        case let .stored(w): return Ops.linear(x, weight: w, bias: bias)
        case let .transposed(t): return Ops.linear(x, transposedWeight: t, bias: bias)
        }
    }
}
