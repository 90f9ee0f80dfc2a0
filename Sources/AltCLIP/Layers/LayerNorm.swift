import AltCLIPTensor

/// `nn.LayerNorm` over the last axis: keys `weight`, `bias`.
public struct LayerNorm: @unchecked Sendable {
    public let weight: Tensor
    public let bias: Tensor
    public let eps: Float

    init(_ scope: WeightScope, dimension: Int, eps: Float) throws {
        weight = try scope.parameter("weight", shape: [dimension], initializer: .ones)
        bias = try scope.parameter("bias", shape: [dimension], initializer: .zeros)
        self.eps = eps
    }

    public func callAsFunction(_ x: Tensor) -> Tensor {
        Ops.layerNorm(x, weight: weight, bias: bias, eps: eps)
    }
}
