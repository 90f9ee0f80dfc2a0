import Foundation

/// The most memory one request (a model load, a batch, a decoded image) may ask for before it is
/// refused with the number it would need. Default: the machine's physical memory; overridable with the
/// environment variable `ALTCLIP_MEMORY_LIMIT` (bytes, or with a K/M/G/T suffix) or `MemoryBudget.limit`.
public enum MemoryBudget {
    nonisolated(unsafe) private static var override: Int?
    private static let lock = NSLock()

    /// The budget in bytes.
    public static var limit: Int {
        get {
            lock.lock()
            defer { lock.unlock() }
            if let override { return override }
            return environmentLimit ?? defaultLimit
        }
        set {
            lock.lock()
            override = max(newValue, 0)
            lock.unlock()
        }
    }

    /// The physical memory of the machine (at least 1 GiB is assumed if it cannot be read).
    public static var defaultLimit: Int {
        let physical = ProcessInfo.processInfo.physicalMemory
        return physical > 0 ? Int(clamping: physical) : 1 << 30
    }

    private static let environmentLimit: Int? =
        ProcessInfo.processInfo.environment["ALTCLIP_MEMORY_LIMIT"].flatMap(parse)

    /// Parses "8G", "512M", "1048576" (binary multiples); nil if malformed.
    public static func parse(_ text: String) -> Int? {
        let trimmed = text.trimmingCharacters(in: .whitespaces).uppercased()
        guard let last = trimmed.last else { return nil }
        let shifts: [Character: Int] = ["K": 10, "M": 20, "G": 30, "T": 40]
        let (digits, shift) = shifts[last].map { (String(trimmed.dropLast()), $0) } ?? (trimmed, 0)
        guard let value = Int(digits), value >= 0 else { return nil }
        let (result, overflow) = value.multipliedReportingOverflow(by: 1 << shift)
        return overflow ? nil : result
    }

    /// Throws `SizeError.overBudget` when `bytes` exceeds the budget.
    public static func check(bytes: Int, for what: String) throws(SizeError) {
        let budget = limit
        guard bytes <= budget else { throw .overBudget(what: what, bytes: bytes, budget: budget) }
    }

    /// `count` elements of `elementBytes` each, checked for overflow and against the budget.
    public static func check(elements factors: [Int], elementBytes: Int, for what: String) throws(SizeError) {
        let bytes = try CheckedSize.product(factors + [elementBytes], field: what)
        try check(bytes: bytes, for: what)
    }

    /// A byte count for people: "1.5 GB", "300 MB", "12 KB" (decimal units).
    public static func format(_ bytes: Int) -> String {
        let value = Double(bytes)
        for (unit, scale) in [("TB", 1e12), ("GB", 1e9), ("MB", 1e6), ("KB", 1e3)] where value >= scale {
            return String(format: "%.1f %@", value / scale, unit)
        }
        return "\(bytes) bytes"
    }
}
