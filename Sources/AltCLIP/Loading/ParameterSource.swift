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
    /// The values under `key` as stored when they are bfloat16 (zero-copy, kept alive by `owner`), so a
    /// bfloat16 model can use them without widening them first; nil for any other dtype.
    func bfloat16Values(_ key: String) throws -> BFloat16Values?
}

extension ParameterSource {
    public func bfloat16Values(_ key: String) throws -> BFloat16Values? { nil }
}

/// Raw bfloat16 parameter values (little-endian bit patterns, row-major) and what keeps them alive.
public struct BFloat16Values: @unchecked Sendable {
    public let bits: UnsafePointer<UInt16>
    public let count: Int
    public let owner: AnyObject
    /// Whether the values lie in a read-only file mapping (their pages can be dropped after use).
    public let fileMapped: Bool

    public init(bits: UnsafePointer<UInt16>, count: Int, owner: AnyObject, fileMapped: Bool) {
        self.bits = bits
        self.count = count
        self.owner = owner
        self.fileMapped = fileMapped
    }
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
