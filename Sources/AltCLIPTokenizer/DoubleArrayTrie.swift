/// A byte-wise double-array trie (base/check) mapping vocabulary pieces to ids, built once at load time.
///
/// Transition from node `s` on byte `c`: `t = base[s] + c`, valid when `check[t] == s`. `value[t]` is the id of
/// the piece that ends at `t`, or -1. The arrays carry 256 spare slots so a transition never indexes past the end.
struct DoubleArrayTrie: Sendable {
    struct Unit: Sendable {
        var base: Int32
        var check: Int32
        var value: Int32
    }

    private(set) var units: [Unit]

    /// Builds the trie over `keys` (byte ranges in `blob`); for a key present twice the later id wins,
    /// as in tokenizers' `token_to_ids` map.
    init(blob: [UInt8], offsets: [Int32], ids: [Int32]) {
        let keyCount = ids.count
        var order = Array(0..<Int32(keyCount))
        blob.withUnsafeBufferPointer { b in
            offsets.withUnsafeBufferPointer { o in
                order.sort { x, y in
                    let xs = Int(o[Int(x)]), xe = Int(o[Int(x) + 1])
                    let ys = Int(o[Int(y)]), ye = Int(o[Int(y) + 1])
                    let n = min(xe - xs, ye - ys)
                    var i = 0
                    while i < n {
                        let a = b[xs + i], c = b[ys + i]
                        if a != c { return a < c }
                        i += 1
                    }
                    if xe - xs != ye - ys { return xe - xs < ye - ys }
                    return x < y  // stable: duplicates keep input order
                }
            }
        }
        var builder = Builder(capacity: blob.count + 1024)
        blob.withUnsafeBufferPointer { b in
            offsets.withUnsafeBufferPointer { o in
                builder.build(order: order, blob: b, offsets: o, ids: ids)
            }
        }
        units = builder.finish()
    }

    /// Calls `body(length, id)` for every piece that is a prefix of `key[0..<count]`, shortest first.
    @inline(__always)
    func forEachPrefix(_ key: UnsafePointer<UInt8>, count: Int, _ body: (Int, Int) -> Void) {
        units.withUnsafeBufferPointer { u in
            var s = 0
            var i = 0
            while i < count {
                let t = Int(u[s].base) + Int(key[i])
                if Int(u[t].check) != s { return }
                s = t
                i += 1
                let v = u[s].value
                if v >= 0 { body(i, Int(v)) }
            }
        }
    }

    /// The id of exactly `key[0..<count]`, if it is a piece.
    func exactMatch(_ key: UnsafePointer<UInt8>, count: Int) -> Int? {
        units.withUnsafeBufferPointer { u -> Int? in
            var s = 0
            for i in 0..<count {
                let t = Int(u[s].base) + Int(key[i])
                if Int(u[t].check) != s { return nil }
                s = t
            }
            let v = u[s].value
            return v >= 0 ? Int(v) : nil
        }
    }

    /// Bytes held by the trie arrays.
    var memoryFootprint: Int { units.count * MemoryLayout<Unit>.stride }

    private struct Builder {
        var units: [Unit]
        /// Lowest slot that might be free.
        var firstFree = 1
        var maxUsed = 0

        init(capacity: Int) {
            units = [Unit](repeating: Unit(base: 0, check: -1, value: -1), count: max(capacity, 512))
            units[0].check = -2  // root: never free, never a child
        }

        mutating func ensure(_ index: Int) {
            if index >= units.count {
                var newCount = units.count
                while newCount <= index { newCount *= 2 }
                units.append(contentsOf: repeatElement(Unit(base: 0, check: -1, value: -1), count: newCount - units.count))
            }
        }

        mutating func build(order: [Int32], blob: UnsafeBufferPointer<UInt8>, offsets: UnsafeBufferPointer<Int32>,
                            ids: [Int32]) {
            // Explicit stack of (node, depth, lo, hi) over the sorted key order.
            var stack: [(node: Int, depth: Int, lo: Int, hi: Int)] = [(0, 0, 0, order.count)]
            var labels: [Int] = []
            var bounds: [Int] = []
            while let (node, depth, lo0, hi) = stack.popLast() {
                var lo = lo0
                // Keys that end here (sorted first); the last duplicate's id wins.
                while lo < hi {
                    let k = Int(order[lo])
                    guard Int(offsets[k + 1] - offsets[k]) == depth else { break }
                    units[node].value = ids[k]
                    lo += 1
                }
                if lo == hi { continue }
                labels.removeAll(keepingCapacity: true)
                bounds.removeAll(keepingCapacity: true)
                var i = lo
                while i < hi {
                    let k = Int(order[i])
                    let label = Int(blob[Int(offsets[k]) + depth])
                    labels.append(label)
                    bounds.append(i)
                    i += 1
                    while i < hi {
                        let k2 = Int(order[i])
                        if Int(blob[Int(offsets[k2]) + depth]) != label { break }
                        i += 1
                    }
                }
                bounds.append(hi)
                let base = findBase(labels)
                units[node].base = Int32(base)
                for (n, label) in labels.enumerated() {
                    let child = base + label
                    units[child].check = Int32(node)
                    maxUsed = max(maxUsed, child)
                    stack.append((child, depth + 1, bounds[n], bounds[n + 1]))
                }
            }
        }

        mutating func findBase(_ labels: [Int]) -> Int {
            let first = labels[0]
            while firstFree < units.count && units[firstFree].check != -1 { firstFree += 1 }
            var position = max(firstFree, first + 1)
            while true {
                let base = position - first
                ensure(base + 256)
                if units[position].check == -1 {
                    var fits = true
                    for label in labels.dropFirst() where units[base + label].check != -1 {
                        fits = false
                        break
                    }
                    if fits { return base }
                }
                position += 1
            }
        }

        mutating func finish() -> [Unit] {
            let count = maxUsed + 257
            ensure(count)
            units.removeLast(units.count - count)
            return units
        }
    }
}
