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

    /// Places nodes with a sorted list of free "holes" below a frontier (everything past it is free). Single-child
    /// nodes take the lowest hole; nodes with several children try a bounded number of holes, then the frontier,
    /// which keeps construction linear in practice (an unbounded search is quadratic on 250k pieces).
    private struct Builder {
        var units: [Unit]
        /// Slots below 256 are never used, so `hole - label` is never negative.
        var frontier = 256
        /// Doubly linked list of free slots below `frontier`, in increasing order (-1 = none).
        var nextHole: [Int32]
        var previousHole: [Int32]
        var firstHole: Int32 = -1
        var lastHole: Int32 = -1
        var maxUsed = 0
        static let maxHoleTrials = 64

        init(capacity: Int) {
            let count = max(capacity, 512)
            units = [Unit](repeating: Unit(base: 0, check: -1, value: -1), count: count)
            nextHole = [Int32](repeating: -1, count: count)
            previousHole = [Int32](repeating: -1, count: count)
            for slot in 0..<256 { units[slot].check = -2 }  // the root and the reserved slots: never free
        }

        mutating func ensure(_ index: Int) {
            guard index >= units.count else { return }
            var newCount = units.count
            while newCount <= index { newCount *= 2 }
            let extra = newCount - units.count
            units.append(contentsOf: repeatElement(Unit(base: 0, check: -1, value: -1), count: extra))
            nextHole.append(contentsOf: repeatElement(-1, count: extra))
            previousHole.append(contentsOf: repeatElement(-1, count: extra))
        }

        @inline(__always) func isFree(_ slot: Int) -> Bool {
            slot >= frontier || units[slot].check == -1
        }

        /// Marks `slot` used by a child of `parent`.
        mutating func occupy(_ slot: Int, parent: Int) {
            ensure(slot + 257)
            if slot < frontier {
                let p = previousHole[slot], n = nextHole[slot]
                if p >= 0 { nextHole[Int(p)] = n } else { firstHole = n }
                if n >= 0 { previousHole[Int(n)] = p } else { lastHole = p }
            } else {
                for hole in frontier..<slot {
                    previousHole[hole] = lastHole
                    nextHole[hole] = -1
                    if lastHole >= 0 { nextHole[Int(lastHole)] = Int32(hole) } else { firstHole = Int32(hole) }
                    lastHole = Int32(hole)
                }
                frontier = slot + 1
            }
            units[slot].check = Int32(parent)
            maxUsed = max(maxUsed, slot)
        }

        mutating func findBase(_ labels: [Int]) -> Int {
            let first = labels[0]
            var hole = firstHole
            var trials = 0
            while hole >= 0 && (labels.count == 1 || trials < Self.maxHoleTrials) {
                let base = Int(hole) - first
                if base >= 0 {
                    var fits = true
                    for label in labels.dropFirst() where !isFree(base + label) {
                        fits = false
                        break
                    }
                    if fits { return base }
                    trials += 1
                }
                hole = nextHole[Int(hole)]
            }
            return max(frontier - first, 0)
        }

        mutating func build(order: [Int32], blob: UnsafeBufferPointer<UInt8>, offsets: UnsafeBufferPointer<Int32>,
                            ids: [Int32]) {
            // Explicit stack of (node, depth, lo, hi) over the sorted key order.
            var stack: [(node: Int, depth: Int, lo: Int, hi: Int)] = [(0, 0, 0, order.count)]
            var labels: [Int] = []
            var bounds: [Int] = []
            while let (node, depth, lo0, hi) = stack.popLast() {
                var lo = lo0
                // Keys that end here sort first; the last duplicate's id wins.
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
                    let label = Int(blob[Int(offsets[Int(order[i])]) + depth])
                    labels.append(label)
                    bounds.append(i)
                    i += 1
                    while i < hi && Int(blob[Int(offsets[Int(order[i])]) + depth]) == label { i += 1 }
                }
                bounds.append(hi)
                let base = findBase(labels)
                units[node].base = Int32(base)
                for (n, label) in labels.enumerated() {
                    occupy(base + label, parent: node)
                    stack.append((base + label, depth + 1, bounds[n], bounds[n + 1]))
                }
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
