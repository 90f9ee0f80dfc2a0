import AltCLIPTensor

/// `nn.Linear`: keys `weight` [out, in] and, when present, `bias` [out].
public struct Linear: @unchecked Sendable {
    public let weight: Tensor
    public let bias: Tensor?

    public var inputFeatures: Int { weight.shape[1] }
    public var outputFeatures: Int { weight.shape[0] }

    /// Loads from `scope` (`weight`, `bias`); `weightStd` is the random-initialisation std.
    init(_ scope: WeightScope, input: Int, output: Int, bias hasBias: Bool = true, weightStd: Float) throws {
        weight = try scope.parameter("weight", shape: [output, input], initializer: .normal(std: weightStd))
        bias = hasBias ? try scope.parameter("bias", shape: [output], initializer: .zeros) : nil
    }

    public func callAsFunction(_ x: Tensor) -> Tensor {
        Ops.linear(x, weight: weight, bias: bias)
    }
}
