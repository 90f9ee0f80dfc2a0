import Foundation
import Testing
@testable import AltCLIPWeights

/// SplitMix64: a tiny deterministic generator, so every fuzz run sees the same inputs.
private struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Applies one to four random mutations: bit flips, interesting values, truncation, insertion,
/// deletion and chunk duplication. `focus` biases positions towards the first `focus` bytes
/// (headers, where most parsing happens).
private func mutate(_ input: [UInt8], focus: Int, using rng: inout SplitMix64) -> [UInt8] {
    var bytes = input
    let interesting: [UInt64] = [0, 1, 0x7F, 0x80, 0xFF, 0x7FFF, 0xFFFF, 0x7FFF_FFFF, 0xFFFF_FFFF,
                                 UInt64(Int64.max), UInt64.max, UInt64(input.count)]
    func position() -> Int {
        guard !bytes.isEmpty else { return 0 }
        let limit = Bool.random(using: &rng) ? min(focus, bytes.count) : bytes.count
        return Int.random(in: 0..<max(limit, 1), using: &rng)
    }
    for _ in 0..<Int.random(in: 1...4, using: &rng) {
        switch Int.random(in: 0..<7, using: &rng) {
        case 0 where !bytes.isEmpty:
            bytes[position()] ^= UInt8(1) << UInt8.random(in: 0..<8, using: &rng)
        case 1 where !bytes.isEmpty:
            bytes[position()] = UInt8.random(in: 0...255, using: &rng)
        case 2 where bytes.count >= 8:
            let at = min(position(), bytes.count - 8)
            let value = interesting.randomElement(using: &rng)!
            let width = [1, 2, 4, 8].randomElement(using: &rng)!
            for i in 0..<width { bytes[at + i] = UInt8(truncatingIfNeeded: value >> (8 * UInt64(i))) }
        case 3:
            bytes = Array(bytes.prefix(position()))
        case 4:
            let at = position()
            let count = Int.random(in: 1...16, using: &rng)
            bytes.insert(contentsOf: (0..<count).map { _ in UInt8.random(in: 0...255, using: &rng) }, at: at)
        case 5 where !bytes.isEmpty:
            let at = position()
            bytes.removeSubrange(at..<min(bytes.count, at + Int.random(in: 1...16, using: &rng)))
        case 6 where !bytes.isEmpty:
            let from = position()
            let chunk = Array(bytes[from..<min(bytes.count, from + Int.random(in: 1...32, using: &rng))])
            bytes.insert(contentsOf: chunk, at: position())
        default:
            break
        }
    }
    return bytes
}

/// Opens the input and reads every tensor through every accessor. Any outcome but a crash or a
/// non-`WeightError` error is fine; returns whether the file opened.
@discardableResult
private func exercise(_ bytes: [UInt8], name: String) -> Bool {
    do {
        let store = try WeightStore(contents: bytes, name: name)
        for key in store.keys {
            guard let tensor = try? store.tensor(key) else { continue }
            #expect(tensor.bytes.count == TensorInfo.checkedByteCount(tensor.shape, tensor.dtype))
            _ = try? tensor.withFloat32 { $0.reduce(0, +) }
            _ = try? tensor.int64Values()
        }
        return true
    } catch is WeightError {
        return false
    } catch {
        Issue.record("\(name): unexpected error type \(error)")
        return false
    }
}

@Suite("fuzzing the readers (deterministic, bounded)")
struct FuzzTests {
    /// Budget per target: the counts and a time cap keep the suite near a second in a debug build.
    /// `ALTCLIP_FUZZ_ITERATIONS=N` runs N iterations per target without the cap (a longer campaign).
    private static let timeLimit: TimeInterval = 0.6
    private static let override = ProcessInfo.processInfo.environment["ALTCLIP_FUZZ_ITERATIONS"].flatMap { Int($0) }

    private func run(seed: UInt64, iterations: Int, body: (inout SplitMix64) -> Void) {
        var rng = SplitMix64(state: seed)
        let start = Date()
        for _ in 0..<(Self.override ?? iterations) {
            if Self.override == nil, Date().timeIntervalSince(start) > Self.timeLimit { break }
            body(&rng)
        }
    }

    @Test("mutated safetensors files never crash the reader")
    func safetensors() throws {
        let seed = try Fixtures.bytes("dtypes_expected.safetensors")
        let headerLength = Int(seed.withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) }) + 8
        var opened = 0
        run(seed: 1, iterations: 400) { rng in
            if exercise(mutate(seed, focus: headerLength, using: &rng), name: "fuzz.safetensors") { opened += 1 }
        }
        #expect(opened > 0)  // some mutations (in the data area) leave a valid file
    }

    @Test("mutated torch archives never crash the reader")
    func archive() throws {
        let seed = try Fixtures.bytes("dtypes.bin")
        run(seed: 2, iterations: 300) { rng in
            exercise(mutate(seed, focus: seed.count, using: &rng), name: "fuzz.bin")
        }
    }

    /// Mutates only the pickle and rebuilds the archive with a correct CRC, so the VM itself is fuzzed
    /// rather than the CRC check in front of it.
    @Test("mutated pickles in a well-formed archive never crash the unpickler",
          arguments: [("dtypes.bin", UInt64(3)), ("tiny-bin/pytorch_model.bin", 5)])
    func pickle(file: String, seed: UInt64) throws {
        let original = try ZipArchive(file: MappedFile(contents: try Fixtures.bytes(file), path: file))
        var records: [(String, [UInt8])] = []
        for name in original.names { records.append((name, Array(try original.data(original.entries[name]!)))) }
        let pickleIndex = try #require(records.firstIndex { $0.0.hasSuffix("/data.pkl") })
        var opened = 0
        run(seed: seed, iterations: 300) { rng in
            var builder = ArchiveBuilder()
            for (index, record) in records.enumerated() {
                builder.add(record.0, index == pickleIndex ? mutate(record.1, focus: record.1.count, using: &rng) : record.1)
            }
            if exercise(builder.build(), name: "fuzz.bin") { opened += 1 }
        }
        #expect(opened > 0)
    }

    @Test("random byte strings never crash either reader")
    func noise() {
        run(seed: 4, iterations: 300) { rng in
            let count = Int.random(in: 0..<200, using: &rng)
            var bytes = (0..<count).map { _ in UInt8.random(in: 0...255, using: &rng) }
            if Bool.random(using: &rng), bytes.count >= 4 { bytes.replaceSubrange(0..<4, with: [0x50, 0x4B, 0x03, 0x04]) }
            exercise(bytes, name: "noise.bin")
            exercise(bytes, name: "noise.safetensors")
        }
    }
}
