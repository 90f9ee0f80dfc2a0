/// A pickle virtual machine for torch state dicts: the opcodes of protocols 2–5 that build plain data
/// (see CPython `Lib/pickletools.py` for their definitions), globals restricted to `TorchGlobal`'s
/// allow-list, and `BINPERSID` resolved to archive storages.
///
/// Nothing is executed: REDUCE and BUILD only interpret the few allow-listed callables. Opcodes that
/// create arbitrary objects (INST, OBJ, NEWOBJ, EXT*) and the text-protocol opcodes are refused.
struct PickleMachine {
    /// Looks up a storage record by key: its archive entry, or nil when missing.
    typealias StorageLookup = (String) -> ZipArchive.Entry?

    private let data: UnsafeRawBufferPointer
    private let file: String
    private let lookup: StorageLookup
    private var position = 0
    private var opcodeOffset = 0
    private var stack: [PickleValue] = []
    private var marks: [Int] = []
    private var memo: [Int: PickleValue] = [:]
    private var storageByKey: [String: Int] = [:]
    private(set) var arena = PickleArena()

    /// Runs `data` to its STOP opcode; returns the result and the arena it refers into.
    static func run(_ data: UnsafeRawBufferPointer, file: String, lookup: @escaping StorageLookup) throws
        -> (PickleValue, PickleArena)
    {
        var machine = PickleMachine(data: data, file: file, lookup: lookup)
        let result = try machine.execute()
        return (result, machine.arena)
    }

    private init(data: UnsafeRawBufferPointer, file: String, lookup: @escaping StorageLookup) {
        self.data = data
        self.file = file
        self.lookup = lookup
    }

    private func malformed(_ reason: String) -> WeightError {
        .malformedPickle(file: file, offset: opcodeOffset, reason: reason)
    }

    // MARK: Reading the byte stream

    private mutating func take(_ count: Int) throws -> UnsafeRawBufferPointer {
        guard count >= 0, count <= data.count - position else { throw malformed("truncated pickle") }
        defer { position += count }
        return UnsafeRawBufferPointer(rebasing: data[position..<(position + count)])
    }

    private mutating func byte() throws -> UInt8 { try take(1)[0] }

    private mutating func uint(_ width: Int) throws -> UInt64 {
        let bytes = try take(width)
        var value: UInt64 = 0
        for i in (0..<width).reversed() { value = value << 8 | UInt64(bytes[i]) }
        return value
    }

    private mutating func length(_ width: Int) throws -> Int {
        let value = try uint(width)
        guard value <= UInt64(data.count - position) else { throw malformed("length \(value) runs past the end") }
        return Int(value)
    }

    private mutating func line() throws -> String {
        guard let newline = data[position...].firstIndex(of: 0x0A) else { throw malformed("unterminated line") }
        let bytes = try take(newline - position)
        position += 1
        guard let string = String(validating: bytes, as: UTF8.self) else { throw malformed("line is not UTF-8") }
        return string
    }

    private mutating func utf8(_ count: Int) throws -> String {
        guard let string = String(validating: try take(count), as: UTF8.self) else {
            throw malformed("string is not valid UTF-8")
        }
        return string
    }

    // MARK: Stack

    private mutating func pop() throws -> PickleValue {
        if let mark = marks.last, stack.count <= mark { throw malformed("stack underflow at a mark") }
        guard let value = stack.popLast() else { throw malformed("stack underflow") }
        return value
    }

    private mutating func popMark() throws -> [PickleValue] {
        guard let mark = marks.popLast() else { throw malformed("no mark on the stack") }
        let items = Array(stack[mark...])
        stack.removeSubrange(mark...)
        return items
    }

    private func top() throws -> PickleValue {
        if let mark = marks.last, stack.count <= mark { throw malformed("stack underflow at a mark") }
        guard let value = stack.last else { throw malformed("stack underflow") }
        return value
    }

    private mutating func memoize(_ index: Int) throws {
        memo[index] = try top()
    }

    private func recall(_ index: Int) throws -> PickleValue {
        guard let value = memo[index] else { throw malformed("memo entry \(index) is undefined") }
        return value
    }

    // MARK: The loop

    private mutating func execute() throws -> PickleValue {
        while true {
            opcodeOffset = position
            let opcode = try byte()
            switch opcode {
            case 0x80:  // PROTO
                let version = try byte()
                guard version >= 2 && version <= 5 else { throw malformed("unsupported protocol \(version)") }
            case 0x95: _ = try uint(8)  // FRAME: only a read-ahead hint
            case 0x2E: return try pop()  // STOP
            case 0x28: marks.append(stack.count)  // MARK
            case 0x30: _ = try pop()  // POP
            case 0x31: _ = try popMark()  // POP_MARK
            case 0x32: stack.append(try top())  // DUP
            case 0x4E: stack.append(.none)  // NONE
            case 0x88: stack.append(.bool(true))  // NEWTRUE
            case 0x89: stack.append(.bool(false))  // NEWFALSE
            case 0x4A: stack.append(.int(Int64(Int32(bitPattern: UInt32(try uint(4))))))  // BININT
            case 0x4B: stack.append(.int(Int64(try byte())))  // BININT1
            case 0x4D: stack.append(.int(Int64(try uint(2))))  // BININT2
            case 0x8A: stack.append(.int(try long(length(1))))  // LONG1
            case 0x8B: stack.append(.int(try long(length(4))))  // LONG4
            case 0x47: stack.append(.float(Double(bitPattern: try bigEndian64())))  // BINFLOAT
            case 0x58: stack.append(.string(try utf8(length(4))))  // BINUNICODE
            case 0x8C: stack.append(.string(try utf8(length(1))))  // SHORT_BINUNICODE
            case 0x8D: stack.append(.string(try utf8(length(8))))  // BINUNICODE8
            case 0x54: stack.append(.string(try utf8(length(4))))  // BINSTRING (py2 str; torch keys are ASCII)
            case 0x55: stack.append(.string(try utf8(length(1))))  // SHORT_BINSTRING
            case 0x42: stack.append(.bytes(Array(try take(length(4)))))  // BINBYTES
            case 0x43: stack.append(.bytes(Array(try take(length(1)))))  // SHORT_BINBYTES
            case 0x8E: stack.append(.bytes(Array(try take(length(8)))))  // BINBYTES8
            case 0x29: stack.append(arena.makeTuple([]))  // EMPTY_TUPLE
            case 0x74: stack.append(arena.makeTuple(try popMark()))  // TUPLE
            case 0x85, 0x86, 0x87:  // TUPLE1, TUPLE2, TUPLE3
                var items: [PickleValue] = []
                for _ in 0..<Int(opcode - 0x84) { items.insert(try pop(), at: 0) }
                stack.append(arena.makeTuple(items))
            case 0x5D: stack.append(newList([]))  // EMPTY_LIST
            case 0x6C: stack.append(newList(try popMark()))  // LIST
            case 0x61: try append([try pop()])  // APPEND
            case 0x65: try append(try popMark())  // APPENDS
            case 0x7D: stack.append(newDict())  // EMPTY_DICT
            case 0x64:  // DICT
                let items = try popMark()
                let dict = newDict()
                try setItems(items, into: dict)
                stack.append(dict)
            case 0x73:  // SETITEM
                let value = try pop()
                let key = try pop()
                try setItems([key, value], into: top())
            case 0x75:  // SETITEMS
                let items = try popMark()
                try setItems(items, into: top())
            case 0x71: try memoize(Int(try byte()))  // BINPUT
            case 0x72: try memoize(Int(try uint(4)))  // LONG_BINPUT
            case 0x94: try memoize(memo.count)  // MEMOIZE
            case 0x68: stack.append(try recall(Int(try byte())))  // BINGET
            case 0x6A: stack.append(try recall(Int(try uint(4))))  // LONG_BINGET
            case 0x63:  // GLOBAL
                let module = try line()
                let name = try line()
                stack.append(.global(try resolve(module, name)))
            case 0x93:  // STACK_GLOBAL
                guard case let .string(name) = try pop(), case let .string(module) = try pop() else {
                    throw malformed("STACK_GLOBAL needs two strings")
                }
                stack.append(.global(try resolve(module, name)))
            case 0x52:  // REDUCE
                let arguments = try pop()
                let callable = try pop()
                stack.append(try reduce(callable, arguments))
            case 0x62:  // BUILD
                let state = try pop()
                try build(try top(), state)
            case 0x51:  // BINPERSID
                stack.append(try persistentLoad(try pop()))
            default:
                throw WeightError.unsupportedOpcode(file: file, opcode: opcode, offset: opcodeOffset)
            }
        }
    }

    private mutating func bigEndian64() throws -> UInt64 {
        let bytes = try take(8)
        var value: UInt64 = 0
        for byte in bytes { value = value << 8 | UInt64(byte) }
        return value
    }

    /// A little-endian two's-complement integer of `count` bytes; wider than 64 bits is refused.
    private mutating func long(_ count: Int) throws -> Int64 {
        guard count <= 8 else { throw malformed("integer of \(count) bytes does not fit in 64 bits") }
        if count == 0 { return 0 }
        let raw = try uint(count)
        let unused = UInt64(64 - 8 * count)
        return Int64(bitPattern: raw << unused) >> Int64(unused)
    }

    // MARK: Containers

    private mutating func newList(_ items: [PickleValue]) -> PickleValue {
        arena.lists.append(items)
        return .list(arena.lists.count - 1)
    }

    private mutating func newDict() -> PickleValue {
        arena.dicts.append(PickleDict())
        return .dict(arena.dicts.count - 1)
    }

    private mutating func append(_ items: [PickleValue]) throws {
        guard case let .list(index) = try top() else { throw malformed("APPEND target is \(try top().kind), not a list") }
        arena.lists[index].append(contentsOf: items)
    }

    private mutating func setItems(_ items: [PickleValue], into target: PickleValue) throws {
        guard case let .dict(index) = target else { throw malformed("SETITEM target is \(target.kind), not a dict") }
        guard items.count % 2 == 0 else { throw malformed("odd number of items for a dict") }
        for pair in stride(from: 0, to: items.count, by: 2) {
            arena.dicts[index].set(items[pair], items[pair + 1])
        }
    }

    // MARK: Globals, REDUCE, BUILD, persistent ids

    private func resolve(_ module: String, _ name: String) throws -> TorchGlobal {
        switch TorchGlobal.resolve(module: module, name: name) {
        case let .allowed(global): return global
        case let .unsupported(what): throw WeightError.unsupportedFeature(file: file, key: nil, feature: what)
        case .forbidden: throw WeightError.forbiddenGlobal(file: file, module: module, name: name)
        }
    }

    private mutating func reduce(_ callable: PickleValue, _ arguments: PickleValue) throws -> PickleValue {
        guard case let .global(global) = callable else { throw malformed("REDUCE on \(callable.kind)") }
        guard let args = arena.tupleItems(arguments) else { throw malformed("REDUCE arguments are \(arguments.kind)") }
        switch global {
        case .orderedDict:
            guard args.isEmpty else { throw malformed("OrderedDict called with arguments") }
            return newDict()
        case .rebuildTensorV2:
            guard args.count == 6 || args.count == 7 else { throw malformed("_rebuild_tensor_v2 takes 6 or 7 arguments") }
            return try rebuildTensor(args, dtypeOverride: nil)
        case .rebuildTensorV3:
            guard args.count == 7 || args.count == 8, case let .global(.dtype(dtype)) = args[6] else {
                throw malformed("_rebuild_tensor_v3 takes 7 or 8 arguments, the 7th a dtype")
            }
            return try rebuildTensor(Array(args[0..<6]) + args[7...], dtypeOverride: dtype)
        case .rebuildParameter, .rebuildParameterWithState:
            let expected = global == .rebuildParameter ? 3 : 4
            guard args.count == expected, case .tensor = args[0], case .bool = args[1] else {
                throw malformed("_rebuild_parameter takes (tensor, requires_grad, hooks[, state])")
            }
            return args[0]
        case .storageType, .untypedStorage, .dtype:
            throw malformed("\(global) is not callable in a state dict")
        }
    }

    /// `(storage, storage_offset, size, stride, requires_grad, backward_hooks[, metadata])`.
    private mutating func rebuildTensor(_ args: [PickleValue], dtypeOverride: WeightDType?) throws -> PickleValue {
        guard case let .storage(storageIndex) = args[0] else { throw malformed("tensor storage is \(args[0].kind)") }
        guard case let .int(offset) = args[1] else { throw malformed("storage offset is \(args[1].kind)") }
        let shape = try integers(args[2], "size")
        let stride = try integers(args[3], "stride")
        guard case .bool = args[4] else { throw malformed("requires_grad is \(args[4].kind)") }
        guard case let .dict(hooks) = args[5], arena.dicts[hooks].count == 0 else {
            throw malformed("backward hooks must be an empty OrderedDict")
        }
        if args.count == 7 {
            switch args[6] {
            case .none: break
            case let .dict(index):
                // Only conj/neg bits live here (torch/_utils.py get_tensor_metadata); a set bit changes values.
                if arena.dicts[index].values.contains(where: { if case .bool(false) = $0 { return false } else { return true } }) {
                    throw WeightError.unsupportedFeature(file: file, key: nil, feature: "tensor metadata (conj/neg bits)")
                }
            default: throw malformed("tensor metadata is \(args[6].kind)")
            }
        }
        let storage = arena.storages[storageIndex]
        let dtype: WeightDType
        switch (storage.dtype, dtypeOverride) {
        case let (stored?, nil): dtype = stored
        case let (nil, override?): dtype = override
        default: throw malformed("_rebuild_tensor_v2 needs a typed storage and _v3 an untyped one")
        }
        arena.tensors.append(TorchTensorRef(storage: storageIndex, dtype: dtype, offset: offset, shape: shape, stride: stride))
        return .tensor(arena.tensors.count - 1)
    }

    private func integers(_ value: PickleValue, _ what: String) throws -> [Int64] {
        guard let items = arena.tupleItems(value) else { throw malformed("\(what) is \(value.kind), not a tuple") }
        return try items.map {
            guard case let .int(int) = $0 else { throw malformed("\(what) holds \($0.kind)") }
            return int
        }
    }

    /// BUILD on a dict sets Python attributes (`OrderedDict._metadata` from `state_dict()`): ignored.
    private func build(_ target: PickleValue, _ state: PickleValue) throws {
        guard case .dict = target else { throw malformed("BUILD on \(target.kind)") }
        switch state {
        case .dict, .none: return
        default: throw malformed("BUILD state is \(state.kind)")
        }
    }

    /// `('storage', StorageType, key, location, numel)`, as torch.serialization `persistent_id` writes.
    private mutating func persistentLoad(_ pid: PickleValue) throws -> PickleValue {
        guard let items = arena.tupleItems(pid), items.count == 5, case .string("storage") = items[0],
              case let .global(type) = items[1], case let .string(key) = items[2], case .string = items[3],
              case let .int(numel) = items[4], numel >= 0, numel <= Int64(Int.max)
        else { throw malformed("persistent id is not ('storage', type, key, location, numel)") }
        let dtype: WeightDType?
        switch type {
        case let .storageType(storageDType): dtype = storageDType
        case .untypedStorage: dtype = nil
        default: throw malformed("persistent id names \(type), not a storage type")
        }
        if let existing = storageByKey[key] {
            guard arena.storages[existing].dtype == dtype else {
                throw malformed("storage '\(key)' is used with two different types")
            }
            return .storage(existing)
        }
        guard let entry = lookup(key) else { throw WeightError.missingRecord(file: file, record: "data/\(key)") }
        arena.storages.append(TorchStorageRef(key: key, dtype: dtype, declaredCount: Int(numel),
                                              recordBytes: entry.size, entry: entry))
        storageByKey[key] = arena.storages.count - 1
        return .storage(arena.storages.count - 1)
    }
}
