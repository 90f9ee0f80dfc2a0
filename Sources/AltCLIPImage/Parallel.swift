import AltCLIPSupport

/// The image target's parallel loops, within the process's thread budget (`--threads`).
enum Parallel {
    static var coreCount: Int { ThreadBudget.count }

    /// `ThreadBudget.forEachChunk`: contiguous chunks on the budget's threads when the work is worth it;
    /// `enabled: false` forces the serial path (the caller is already parallel at a coarser level).
    static func forEachChunk(_ count: Int, costPerItem: Int, enabled: Bool = true, _ body: (Range<Int>) -> Void) {
        ThreadBudget.forEachChunk(count, costPerItem: costPerItem, enabled: enabled, body)
    }
}
