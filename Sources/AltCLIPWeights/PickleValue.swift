/// A value built by `PickleMachine`.
///
/// Containers live in a `PickleArena` and are referred to by index, so no value owns another: a deep
/// or self-referencing structure in a hostile pickle cannot overflow the stack when it is freed.
enum PickleValue {
    case none
    case bool(Bool)
    case int(Int64)
    case float(Double)
    case string(String)
    case bytes([UInt8])
    case tuple(Int)
    case list(Int)
    case dict(Int)
    case global(TorchGlobal)
    /// A storage from a persistent id (index into `PickleArena.storages`).
    case storage(Int)
    /// A tensor view built by a rebuild function (index into `PickleArena.tensors`).
    case tensor(Int)

    /// A short description for error messages (never recursive).
    var kind: String {
        switch self {
        case .none: return "None"
        case .bool: return "a bool"
        case .int: return "an int"
        case .float: return "a float"
        case .string: return "a str"
        case .bytes: return "bytes"
        case .tuple: return "a tuple"
        case .list: return "a list"
        case .dict: return "a dict"
        case .global: return "a global"
        case .storage: return "a storage"
        case .tensor: return "a tensor"
        }
    }
}
