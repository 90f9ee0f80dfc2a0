/// Element types a checkpoint can hold. Raw values are the safetensors dtype strings.
public enum WeightDType: String, Sendable, CaseIterable, CustomStringConvertible {
    case bool = "BOOL"
    case uint8 = "U8"
    case int8 = "I8"
    case int16 = "I16"
    case uint16 = "U16"
    case float16 = "F16"
    case bfloat16 = "BF16"
    case int32 = "I32"
    case uint32 = "U32"
    case float32 = "F32"
    case float64 = "F64"
    case int64 = "I64"
    case uint64 = "U64"

    /// Bytes per element.
    public var byteSize: Int {
        switch self {
        case .bool, .uint8, .int8: return 1
        case .int16, .uint16, .float16, .bfloat16: return 2
        case .int32, .uint32, .float32: return 4
        case .float64, .int64, .uint64: return 8
        }
    }

    /// Whether `WeightTensor.withFloat32` accepts this dtype.
    public var isFloatingPoint: Bool {
        switch self {
        case .float16, .bfloat16, .float32, .float64: return true
        default: return false
        }
    }

    /// The safetensors dtype string.
    public var description: String { rawValue }

    /// Position in the safetensors crate's `Dtype` enum; its writer orders tensors by this, largest first.
    var safetensorsRank: Int {
        switch self {
        case .bool: return 0
        case .uint8: return 1
        case .int8: return 2
        case .int16: return 3
        case .uint16: return 4
        case .float16: return 5
        case .bfloat16: return 6
        case .int32: return 7
        case .uint32: return 8
        case .float32: return 9
        case .float64: return 10
        case .int64: return 11
        case .uint64: return 12
        }
    }
}
