import AltCLIPTensor
import Foundation

/// `nn.Linear`: keys `weight` [out, in] and, when present, `bias` [out].
///
/// Every matmul with a learned weight goes through here; the weight's layout and conversion belong to
/// the tensor core's `LinearWeight` (in the loader's `ComputePrecision`, converted on first use or by
/// `prepare()`), and this layer only asks it for products: bias, activation and residual add run in the
/// product's epilogue.
public struct Linear: @unchecked Sendable {
    let storage: LinearWeight
    public let bias: Tensor?

    /// The weight [out, in] as Float32: the values the products use (bfloat16 and int8 as they compute).
    public var weight: Tensor { get throws { try storage.float32() } }

    /// The arithmetic this layer runs in.
    public var precision: ComputePrecision { storage.precision }

    public var inputFeatures: Int { storage.inFeatures }

    public var outputFeatures: Int { storage.outFeatures }

    /// Bytes of weight data this layer holds once converted (packed, quantized, or the mapped checkpoint's).
    public var weightBytes: Int { get throws { try storage.byteCount() } }

    /// Loads from `scope` (`weight`, `bias`); `weightStd` is the random-initialisation std. The weight
    /// is converted to the scope's precision on first use.
    init(_ scope: WeightScope, input: Int, output: Int, bias hasBias: Bool = true, weightStd: Float) throws {
        storage = try scope.linearWeight("weight", shape: [output, input], initializer: .normal(std: weightStd))
        bias = hasBias ? try scope.parameter("bias", shape: [output], initializer: .zeros) : nil
    }

    /// A layer over an already-made weight (e.g. stacked ones, see `FusedLinear`).
    init(storage: LinearWeight, bias: Tensor?) {
        self.storage = storage
        self.bias = bias
    }

    /// Converts the weight now instead of at the first product.
    public func prepare() throws { try storage.prepare() }

    public func callAsFunction(_ x: Tensor) throws -> Tensor {
        try storage.product(x, bias: bias)
    }

    /// `activation(x·Wᵀ + b) + residual`, fused into the product.
    public func callAsFunction(_ x: Tensor, activation: Activation?, residual: Tensor?) throws -> Tensor {
        try storage.product(x, bias: bias, activation: activation, residual: residual)
    }
}

/// The arithmetic the model's linear layers run in (the tensor core's `Precision`: fp32, bf16, int8).
public typealias ComputePrecision = Precision
