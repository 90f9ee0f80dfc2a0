/// The Unigram language model of tokenizers (`models/unigram/model.rs`): pieces with f64 log-probabilities,
/// Viterbi segmentation over bytes, unknown characters scored `min score - 10` and runs of them fused.
struct UnigramModel: Sendable {
    /// UTF-8 of all pieces back to back; piece `i` is `pieceBytes[pieceOffsets[i]..<pieceOffsets[i+1]]`.
    let pieceBytes: [UInt8]
    let pieceOffsets: [Int32]
    let scores: [Double]
    let unknownId: Int
    let unknownScore: Double
    let trie: DoubleArrayTrie

    static let unknownPenalty = 10.0

    /// `pieces` in id order. Throws when the vocabulary is empty or `unknownId` is outside it.
    init(pieceBytes: [UInt8], pieceOffsets: [Int32], scores: [Double], unknownId: Int, file: String) throws {
        guard !scores.isEmpty else {
            throw TokenizerError.invalidVocabulary(file: file, index: 0, reason: "the vocabulary is empty")
        }
        guard unknownId < scores.count else {
            throw TokenizerError.invalidVocabulary(
                file: file, index: unknownId, reason: "unknown-token id \(unknownId) is outside the \(scores.count) pieces")
        }
        self.pieceBytes = pieceBytes
        self.pieceOffsets = pieceOffsets
        self.scores = scores
        self.unknownId = unknownId
        // tokenizers: min over every vocabulary entry, specials (score 0) included.
        unknownScore = (scores.min() ?? 0) - Self.unknownPenalty
        trie = DoubleArrayTrie(blob: pieceBytes, offsets: pieceOffsets, ids: Array(0..<Int32(scores.count)))
    }

    var count: Int { scores.count }

    func piece(_ id: Int) -> String? {
        guard id >= 0 && id < scores.count else { return nil }
        let range = Int(pieceOffsets[id])..<Int(pieceOffsets[id + 1])
        return pieceBytes.withUnsafeBufferPointer { String(decoding: UnsafeBufferPointer(rebasing: $0[range]), as: UTF8.self) }
    }

    func id(of token: String) -> Int? {
        var token = token
        return token.withUTF8 { buffer -> Int? in
            guard let base = buffer.baseAddress else {
                return Self.emptyKeyId(trie)
            }
            return trie.exactMatch(base, count: buffer.count)
        }
    }

    private static func emptyKeyId(_ trie: DoubleArrayTrie) -> Int? {
        var zero: UInt8 = 0
        return trie.exactMatch(&zero, count: 0)
    }

    /// Segments `text[0..<count]` (one pre-tokenized word, valid UTF-8) and appends the pieces to `output`.
    func encode(_ text: UnsafePointer<UInt8>, count: Int, workspace: ViterbiWorkspace, output: inout TokenSink) {
        guard count > 0 else { return }
        workspace.reserve(count + 1)
        let unknownId = self.unknownId
        let unknownScore = self.unknownScore
        scores.withUnsafeBufferPointer { scores in
            let best = workspace.score
            let start = workspace.start
            let id = workspace.id
            start[0] = 0
            best[0] = 0
            for k in 1...count { start[k] = -1 }
            var position = 0
            while position < count {
                let here = best[position]
                let charLength = min(UTF8Scalar.length(ofLeadByte: text[position]), count - position)
                var hasSingleChar = false
                trie.forEachPrefix(text + position, count: count - position) { length, piece in
                    let target = position + length
                    let candidate = scores[piece] + here
                    if start[target] < 0 || candidate > best[target] {
                        best[target] = candidate
                        start[target] = Int32(position)
                        id[target] = Int32(piece)
                    }
                    if length == charLength { hasSingleChar = true }
                }
                if !hasSingleChar {
                    let target = position + charLength
                    let candidate = unknownScore + here
                    if start[target] < 0 || candidate > best[target] {
                        best[target] = candidate
                        start[target] = Int32(position)
                        id[target] = Int32(unknownId)
                    }
                }
                position += charLength
            }
            // Backtrack into the workspace, then emit in order, fusing runs of unknown pieces.
            var path = workspace.path
            path.removeAll(keepingCapacity: true)
            var end = count
            while end > 0 {
                path.append(end)
                end = Int(start[end])
            }
            var segmentStart = 0
            var index = path.count - 1
            while index >= 0 {
                let segmentEnd = path[index]
                let piece = Int(id[segmentEnd])
                if piece == unknownId {
                    var runEnd = segmentEnd
                    while index > 0 && Int(id[path[index - 1]]) == unknownId {
                        index -= 1
                        runEnd = path[index]
                    }
                    let fusedLength = runEnd - segmentStart
                    let fusedId = trie.exactMatch(text + segmentStart, count: fusedLength) ?? unknownId
                    output.appendOverride(id: fusedId, text: text + segmentStart, count: fusedLength)
                    segmentStart = runEnd
                } else {
                    output.append(id: piece)
                    segmentStart = segmentEnd
                }
                index -= 1
            }
            workspace.path = path
        }
    }
}

/// Scratch arrays for Viterbi, reused across words (one per thread, never shared).
final class ViterbiWorkspace {
    private(set) var capacity = 256
    private(set) var score: UnsafeMutablePointer<Double>
    private(set) var start: UnsafeMutablePointer<Int32>
    private(set) var id: UnsafeMutablePointer<Int32>
    var path: [Int] = []

    init() {
        score = .allocate(capacity: capacity)
        start = .allocate(capacity: capacity)
        id = .allocate(capacity: capacity)
    }

    func reserve(_ n: Int) {
        guard n > capacity else { return }
        score.deallocate()
        start.deallocate()
        id.deallocate()
        capacity = max(n, capacity * 2)
        score = .allocate(capacity: capacity)
        start = .allocate(capacity: capacity)
        id = .allocate(capacity: capacity)
    }

    deinit {
        score.deallocate()
        start.deallocate()
        id.deallocate()
    }
}
