/// The allow-list of Python globals a torch state-dict pickle may name. Anything else is refused before
/// it is used; nothing is ever imported or called, these only tell the unpickler how to build values.
///
/// Where they come from (torch 2.x, `torch/_tensor.py` `__reduce_ex__`, `torch/serialization.py`
/// `_save`, `torch/_utils.py`): tensors pickle as `_rebuild_tensor_v2(storage, offset, size, stride,
/// requires_grad, backward_hooks[, metadata])`, or `_rebuild_tensor_v3(..., dtype[, metadata])` for
/// the dtypes serialized through `UntypedStorage` (uint16/32/64); parameters wrap a tensor in
/// `_rebuild_parameter[_with_state]`; storages are persistent ids naming a legacy `torch.*Storage`
/// class; `state_dict()` returns a `collections.OrderedDict` whose `_metadata` attribute arrives via BUILD.
enum TorchGlobal: Equatable {
    case orderedDict
    case rebuildTensorV2
    case rebuildTensorV3
    case rebuildParameter
    case rebuildParameterWithState
    /// A typed legacy storage class, e.g. `torch.FloatStorage`.
    case storageType(WeightDType)
    /// `torch.UntypedStorage` (bytes; the tensor's dtype comes from `_rebuild_tensor_v3`).
    case untypedStorage
    /// A dtype object, e.g. `torch.uint16`.
    case dtype(WeightDType)

    enum Resolution {
        case allowed(TorchGlobal)
        /// A legitimate torch global whose data this reader cannot represent (complex, quantized, fp8, ...).
        case unsupported(String)
        case forbidden
    }

    static func resolve(module: String, name: String) -> Resolution {
        switch (module, name) {
        case ("collections", "OrderedDict"): return .allowed(.orderedDict)
        case ("torch._utils", "_rebuild_tensor_v2"): return .allowed(.rebuildTensorV2)
        case ("torch._utils", "_rebuild_tensor_v3"): return .allowed(.rebuildTensorV3)
        case ("torch._utils", "_rebuild_parameter"): return .allowed(.rebuildParameter)
        case ("torch._utils", "_rebuild_parameter_with_state"): return .allowed(.rebuildParameterWithState)
        case ("torch", "UntypedStorage"), ("torch.storage", "UntypedStorage"): return .allowed(.untypedStorage)
        case ("torch", _):
            if let dtype = storageTypes[name] { return .allowed(.storageType(dtype)) }
            if let dtype = dtypes[name] { return .allowed(.dtype(dtype)) }
            if name.hasSuffix("Storage") || unsupportedDTypes.contains(name) {
                return .unsupported("torch.\(name)")
            }
            return .forbidden
        default:
            return .forbidden
        }
    }

    private static let storageTypes: [String: WeightDType] = [
        "FloatStorage": .float32, "HalfStorage": .float16, "BFloat16Storage": .bfloat16,
        "DoubleStorage": .float64, "LongStorage": .int64, "IntStorage": .int32, "ShortStorage": .int16,
        "CharStorage": .int8, "ByteStorage": .uint8, "BoolStorage": .bool,
    ]

    private static let dtypes: [String: WeightDType] = [
        "float32": .float32, "float": .float32, "float16": .float16, "half": .float16, "bfloat16": .bfloat16,
        "float64": .float64, "double": .float64, "int64": .int64, "long": .int64, "int32": .int32, "int": .int32,
        "int16": .int16, "short": .int16, "int8": .int8, "uint8": .uint8, "bool": .bool,
        "uint16": .uint16, "uint32": .uint32, "uint64": .uint64,
    ]

    private static let unsupportedDTypes: Set<String> = [
        "float8_e5m2", "float8_e4m3fn", "float8_e5m2fnuz", "float8_e4m3fnuz", "float8_e8m0fnu",
        "float4_e2m1fn_x2", "complex32", "complex64", "complex128", "cfloat", "cdouble", "chalf",
        "bits8", "bits16", "bits1x8", "bits2x4", "bits4x2", "quint8", "qint8", "qint32", "quint4x2", "quint2x4",
    ]
}
