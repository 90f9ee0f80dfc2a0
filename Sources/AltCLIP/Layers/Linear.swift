import AltCLIPTensor

/// `nn.Linear`: keys `weight` [out, in] and, when present, `bias` [out].
///
/// Every matmul with a learned weight goes through here, so this is where `ComputePrecision` applies:
/// with `.int8` the weight is quantized once at load and no Float32 copy is kept.
public struct Linear: @unchecked Sendable {
    enum Weights {
        case float32(Tensor)
        case int8(QuantizedWeight)
    }

    let weights: Weights
    public let bias: Tensor?

    /// The weight [out, in] as Float32 (for `.int8`, the dequantized values, computed on each access).
    public var weight: Tensor {
        switch weights {
        case let .float32(w): return w
        case let .int8(q): return q.dequantized()
        }
    }

    /// The arithmetic this layer runs in.
    public var precision: ComputePrecision {
        switch weights {
        case .float32: return .float32
        case .int8: return .int8
        }
    }

    public var inputFeatures: Int {
        switch weights {
        case let .float32(w): return w.shape[1]
        case let .int8(q): return q.inFeatures
        }
    }

    public var outputFeatures: Int {
        switch weights {
        case let .float32(w): return w.shape[0]
        case let .int8(q): return q.outFeatures
        }
    }

    /// Loads from `scope` (`weight`, `bias`); `weightStd` is the random-initialisation std. The weight
    /// is converted to the loader's `precision`.
    init(_ scope: WeightScope, input: Int, output: Int, bias hasBias: Bool = true, weightStd: Float) throws {
        let w = try scope.parameter("weight", shape: [output, input], initializer: .normal(std: weightStd))
        switch scope.loader.precision {
        case .float32: weights = .float32(w)
        case .int8: weights = .int8(QuantizedWeight(w))
        }
        bias = hasBias ? try scope.parameter("bias", shape: [output], initializer: .zeros) : nil
    }

    public func callAsFunction(_ x: Tensor) -> Tensor {
        switch weights {
        case let .float32(w): return Ops.linear(x, weight: w, bias: bias)
        case let .int8(q): return Ops.quantizedLinear(x, weight: q, bias: bias)
        }
    }
}
