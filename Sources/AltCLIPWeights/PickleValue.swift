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

/// A dict in insertion order with Python's overwrite-on-repeat semantics for str and int keys.
struct PickleDict {
    private(set) var keys: [PickleValue] = []
    private(set) var values: [PickleValue] = []
    private var stringSlots: [String: Int] = [:]
    private var intSlots: [Int64: Int] = [:]

    mutating func set(_ key: PickleValue, _ value: PickleValue) {
        switch key {
        case let .string(string):
            if let slot = stringSlots[string] { values[slot] = value; return }
            stringSlots[string] = keys.count
        case let .int(int):
            if let slot = intSlots[int] { values[slot] = value; return }
            intSlots[int] = keys.count
        default:
            break
        }
        keys.append(key)
        values.append(value)
    }

    var count: Int { keys.count }
}

/// A storage named by a persistent id: `('storage', StorageType, key, location, numel)`.
struct TorchStorageRef {
    /// The record key: data lives in `<archive>/data/<key>`.
    let key: String
    /// Element type of a typed storage; nil for `UntypedStorage` (bytes).
    let dtype: WeightDType?
    /// Elements the pickle declares (bytes for untyped storages).
    let declaredCount: Int
    /// Bytes the archive record actually holds.
    let recordBytes: Int
    let entry: ZipArchive.Entry
}

/// A tensor view as `_rebuild_tensor_v2/_v3` describe it; checked later, when its key is known.
struct TorchTensorRef {
    let storage: Int
    let dtype: WeightDType
    let offset: Int64
    let shape: [Int64]
    let stride: [Int64]
}

/// Where containers, storages and tensors live while (and after) a pickle is run.
struct PickleArena {
    var tuples: [[PickleValue]] = []
    var lists: [[PickleValue]] = []
    var dicts: [PickleDict] = []
    var storages: [TorchStorageRef] = []
    var tensors: [TorchTensorRef] = []

    mutating func makeTuple(_ items: [PickleValue]) -> PickleValue {
        tuples.append(items)
        return .tuple(tuples.count - 1)
    }

    /// The items of a tuple value, or nil for anything else.
    func tupleItems(_ value: PickleValue) -> [PickleValue]? {
        if case let .tuple(index) = value { return tuples[index] }
        return nil
    }
}
