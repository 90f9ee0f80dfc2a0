import Foundation

/// Brace patterns as img2dataset and webdataset write shard lists: `shards/{00000..00099}.tar`
/// (numeric ranges, zero-padded to the width of a bound written with leading zeros) and `{a,b}` lists;
/// several braces expand to every combination, in order.
public enum BracePattern {
    public struct Failure: Error, Equatable, CustomStringConvertible, LocalizedError {
        public let pattern: String
        public let reason: String
        public var description: String { "\(pattern): \(reason)" }
        public var errorDescription: String? { description }
    }

    /// Expansions beyond this are refused (a typo like `{0..999999999}` must not exhaust memory).
    public static let limit = 10_000_000

    public static func expand(_ pattern: String) throws -> [String] {
        guard let open = pattern.firstIndex(of: "{") else {
            if pattern.contains("}") { throw Failure(pattern: pattern, reason: "a '}' without its '{'") }
            return [pattern]
        }
        guard let close = pattern[open...].firstIndex(of: "}") else {
            throw Failure(pattern: pattern, reason: "a '{' without its '}'")
        }
        let head = String(pattern[..<open]), body = String(pattern[pattern.index(after: open)..<close])
        let tail = String(pattern[pattern.index(after: close)...])
        if head.contains("}") { throw Failure(pattern: pattern, reason: "a '}' without its '{'") }
        let choices = try alternatives(body, pattern: pattern)
        let rest = try expand(tail)
        guard choices.count.multipliedReportingOverflow(by: rest.count).partialValue <= limit,
              !choices.count.multipliedReportingOverflow(by: rest.count).overflow else {
            throw Failure(pattern: pattern, reason: "expands to more than \(limit) names")
        }
        var out: [String] = []
        out.reserveCapacity(choices.count * rest.count)
        for choice in choices { for end in rest { out.append(head + choice + end) } }
        return out
    }

    private static func alternatives(_ body: String, pattern: String) throws -> [String] {
        if body.contains(",") { return body.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
        let parts = body.components(separatedBy: "..")
        guard parts.count == 2, let low = Int(parts[0]), let high = Int(parts[1]), low >= 0, high >= 0 else {
            throw Failure(pattern: pattern, reason: "{\(body)} is neither a list (a,b) nor a range of numbers (00000..00099)")
        }
        guard high >= low else { throw Failure(pattern: pattern, reason: "the range {\(body)} runs backwards") }
        guard high - low < limit else { throw Failure(pattern: pattern, reason: "expands to more than \(limit) names") }
        let padded = (parts[0].count > 1 && parts[0].hasPrefix("0")) || (parts[1].count > 1 && parts[1].hasPrefix("0"))
        let width = padded ? max(parts[0].count, parts[1].count) : 0
        return (low...high).map { value in
            let digits = String(value)
            return String(repeating: "0", count: max(0, width - digits.count)) + digits
        }
    }
}

/// Which part of the work one worker of a job array does: shard `index` of `count`.
public struct ShardAssignment: Sendable, Equatable, CustomStringConvertible {
    public let index: Int
    public let count: Int

    public init(index: Int, count: Int) throws {
        guard count >= 1 else { throw ShardError("the shard count must be at least 1 (got \(count))") }
        guard (0..<count).contains(index) else { throw ShardError("shard index \(index) is outside 0..<\(count)") }
        self.index = index
        self.count = count
    }

    public var description: String { "shard \(index) of \(count)" }

    /// The stable part of `n` sorted items this shard takes: contiguous, sizes differing by at most one,
    /// together covering every item exactly once.
    public func range(of n: Int) -> Range<Int> {
        (index * n / count)..<((index + 1) * n / count)
    }

    /// The shard from options, else from the scheduler's environment: Slurm job arrays
    /// (`SLURM_ARRAY_TASK_ID` minus `SLURM_ARRAY_TASK_MIN`, of `SLURM_ARRAY_TASK_COUNT`) or Kubernetes
    /// Indexed Jobs (`JOB_COMPLETION_INDEX`, with the count given as an option). Nil when neither says.
    public static func resolve(index: Int?, count: Int?, environment: [String: String]) throws -> ShardAssignment? {
        func number(_ name: String) throws -> Int? {
            guard let text = environment[name], !text.isEmpty else { return nil }
            guard let value = Int(text) else { throw ShardError("\(name)=\(text) is not a number") }
            return value
        }
        if let index {
            guard let count = try count ?? number("SLURM_ARRAY_TASK_COUNT") else {
                throw ShardError("--shard-index needs --shard-count")
            }
            return try ShardAssignment(index: index, count: count)
        }
        if let task = try number("SLURM_ARRAY_TASK_ID") {
            guard let total = try count ?? number("SLURM_ARRAY_TASK_COUNT") else {
                throw ShardError("SLURM_ARRAY_TASK_ID is set but not SLURM_ARRAY_TASK_COUNT: give --shard-count")
            }
            let first = try number("SLURM_ARRAY_TASK_MIN") ?? 0
            return try ShardAssignment(index: task - first, count: total)
        }
        if let completion = try number("JOB_COMPLETION_INDEX") {
            guard let count else { throw ShardError("JOB_COMPLETION_INDEX is set: give --shard-count (the Job's completions)") }
            return try ShardAssignment(index: completion, count: count)
        }
        if count != nil { throw ShardError("--shard-count needs --shard-index (or a job array's environment)") }
        return nil
    }
}

public struct ShardError: Error, Equatable, CustomStringConvertible, LocalizedError {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
    public var errorDescription: String? { message }
}
