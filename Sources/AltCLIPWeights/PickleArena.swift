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
