/// Sizes that come from files, configs and requests, multiplied and added with overflow checks, so a
/// hostile value becomes an error that names its field instead of a wrapped size or a trap.
public enum CheckedSize {
    /// The product of `factors`, or nil if it overflows `Int` or a factor is negative.
    public static func product(_ factors: [Int]) -> Int? {
        var result = 1
        for factor in factors {
            guard factor >= 0 else { return nil }
            let (value, overflow) = result.multipliedReportingOverflow(by: factor)
            if overflow { return nil }
            result = value
        }
        return result
    }

    /// The product of `factors`, or a `SizeError.overflow` naming `field`.
    public static func product(_ factors: [Int], field: String) throws(SizeError) -> Int {
        guard let value = product(factors) else { throw .overflow(field: field, factors: factors) }
        return value
    }

    /// `a + b`, or a `SizeError.overflow` naming `field`.
    public static func sum(_ a: Int, _ b: Int, field: String) throws(SizeError) -> Int {
        let (value, overflow) = a.addingReportingOverflow(b)
        guard !overflow, a >= 0, b >= 0 else { throw .overflow(field: field, factors: [a, b]) }
        return value
    }

    /// Checks `value` lies in `range`, or throws `SizeError.outOfRange` naming `field`.
    public static func require(_ value: Int, in range: ClosedRange<Int>, field: String) throws(SizeError) {
        guard range.contains(value) else { throw .outOfRange(field: field, value: value, range: range) }
    }
}

/// A size from outside that cannot be honoured.
public enum SizeError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A product or sum of sizes overflows a 64-bit integer (or has a negative term).
    case overflow(field: String, factors: [Int])
    /// A value outside what the field allows.
    case outOfRange(field: String, value: Int, range: ClosedRange<Int>)
    /// Buffers that would exceed the memory budget.
    case overBudget(what: String, bytes: Int, budget: Int)
    /// A mapping of `bytes` the address space cannot hold.
    case addressSpace(what: String, bytes: Int)

    public var description: String {
        switch self {
        case let .overflow(field, factors):
            let terms = factors.map(String.init).joined(separator: " x ")
            return "\(field): size \(terms) overflows a 64-bit integer"
        case let .outOfRange(field, value, range):
            return "\(field) is \(value); it must be between \(range.lowerBound) and \(range.upperBound)"
        case let .overBudget(what, bytes, budget):
            return "\(what) would need \(MemoryBudget.format(bytes)), more than the memory budget of "
                + "\(MemoryBudget.format(budget)) (set ALTCLIP_MEMORY_LIMIT to raise it)"
        case let .addressSpace(what, bytes):
            return "\(what) would need \(MemoryBudget.format(bytes)) of address space, more than this machine can map"
        }
    }
}
