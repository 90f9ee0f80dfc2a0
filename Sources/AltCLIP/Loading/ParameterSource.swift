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

/// Raw 16-bit floating-point parameter values (little-endian bit patterns, row-major) and what keeps
/// them alive.
public struct HalfPrecisionValues: @unchecked Sendable {
    public enum Format: Sendable { case bfloat16, float16 }

    public let format: Format
    public let bits: UnsafePointer<UInt16>
    public let count: Int
    public let owner: AnyObject
    /// Whether the values lie in a read-only file mapping (their pages can be dropped after use).
    public let fileMapped: Bool

    public init(format: Format, bits: UnsafePointer<UInt16>, count: Int, owner: AnyObject, fileMapped: Bool) {
        self.format = format
        self.bits = bits
        self.count = count
        self.owner = owner
        self.fileMapped = fileMapped
    }

    /// All values widened (exactly) to a Float32 tensor of `shape`.
    public func widened(shape: [Int]) -> Tensor {
        Tensor(shape: shape, widening: bits, bfloat16: format == .bfloat16)
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
