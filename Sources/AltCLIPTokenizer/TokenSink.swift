/// The ids of one sequence as they are produced, plus the token texts that differ from the vocabulary piece of
/// their id (fused unknown runs, added tokens matched with stripped spaces).
struct TokenSink: Sendable {
    var ids: [Int] = []
    /// (position in `ids`, token text)
    var overrides: [(Int, String)] = []

    init() {
        ids.reserveCapacity(64)
    }

    @inline(__always)
    mutating func append(id: Int) {
        ids.append(id)
    }

    mutating func appendOverride(id: Int, text: UnsafePointer<UInt8>, count: Int) {
        overrides.append((ids.count, String(decoding: UnsafeBufferPointer(start: text, count: count), as: UTF8.self)))
        ids.append(id)
    }

    mutating func appendOverride(id: Int, text: String) {
        overrides.append((ids.count, text))
        ids.append(id)
    }
}
