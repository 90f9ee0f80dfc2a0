import AltCLIPTensor

/// Where model parameters come from: a checkpoint on disk (`WeightStore`) or anything else that can
/// hand out Float32 tensors by their full dotted key.
public protocol ParameterSource: AnyObject {
    /// Every key the source holds.
    var keys: [String] { get }
    /// The shape stored under `key`, or nil when the key is absent.
    func shape(of key: String) -> [Int]?
    /// The tensor stored under `key` as Float32 (zero-copy where the storage allows it).
    func tensor(_ key: String) throws -> Tensor
    /// The values under `key` as stored when they are bfloat16 or float16 (zero-copy, kept alive by
    /// their `owner`), so they need not be widened to Float32 as a whole at load; nil for other dtypes.
    func halfPrecisionValues(_ key: String) throws -> HalfPrecisionValues?
}

extension ParameterSource {
    public func halfPrecisionValues(_ key: String) throws -> HalfPrecisionValues? { nil }
}

/// How a parameter is initialised when a model is built from a config alone, mirroring
/// transformers' `_init_weights` for the module that owns it.
public enum ParameterInit: Sendable, Equatable {
    case zeros
    case ones
    case constant(Float)
    case normal(std: Float)
    /// Normal, then one row set to zero (`nn.Embedding(padding_idx=...)`).
    case normalWithZeroRow(std: Float, row: Int)
}
