import Foundation
import Testing
@testable import AltCLIPImage

/// Locates `Tests/Fixtures/image` from this file and reads the generated references.
enum Fixtures {
    static let root: URL = {
        var dir = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        while dir.path != "/" {
            let candidate = dir.appendingPathComponent("Fixtures/image")
            if FileManager.default.fileExists(atPath: candidate.appendingPathComponent("manifest.json").path) {
                return candidate
            }
            dir.deleteLastPathComponent()
        }
        return URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../Fixtures/image")
    }()

    static func source(_ name: String) -> URL { root.appendingPathComponent("sources").appendingPathComponent(name) }
    static func bad(_ name: String) -> URL { root.appendingPathComponent("sources/bad").appendingPathComponent(name) }
    static func config(_ name: String) -> URL { root.appendingPathComponent("configs").appendingPathComponent(name) }

    /// manifest.json as a loosely typed object (it is written by Scripts/make_image_fixtures.py).
    static let manifest: [String: Any] = {
        guard let data = try? Data(contentsOf: root.appendingPathComponent("manifest.json")),
              let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any]
        else { return [:] }
        return object
    }()

    static func section(_ key: String) -> [String: [String: Any]] {
        (manifest[key] as? [String: [String: Any]]) ?? [:]
    }

    static let decoded = SafetensorsFile(root.appendingPathComponent("decoded.safetensors"))
    static let resize = SafetensorsFile(root.appendingPathComponent("resize.safetensors"))
    static let pipeline = SafetensorsFile(root.appendingPathComponent("pipeline.safetensors"))
}

/// A minimal safetensors reader for the fixtures (U8 and F32 only); the checkpoint reader of the
/// project lives in another target and this one must stay independent of it.
struct SafetensorsFile {
    struct Tensor {
        let dtype: String
        let shape: [Int]
        let bytes: Data

        var uint8: [UInt8] { [UInt8](bytes) }
        var float32: [Float] {
            bytes.withUnsafeBytes { raw in
                (0..<(raw.count / 4)).map { Float(bitPattern: raw.loadUnaligned(fromByteOffset: $0 * 4, as: UInt32.self).littleEndian) }
            }
        }
    }

    let tensors: [String: Tensor]

    init(_ url: URL) {
        var result: [String: Tensor] = [:]
        if let data = try? Data(contentsOf: url), data.count >= 8 {
            let n = data.prefix(8).enumerated().reduce(0) { $0 | Int($1.element) << (8 * $1.offset) }
            if n > 0, 8 + n <= data.count,
               let header = try? JSONSerialization.jsonObject(with: data.subdata(in: 8..<(8 + n))) as? [String: Any] {
                for (name, value) in header where name != "__metadata__" {
                    guard let entry = value as? [String: Any], let dtype = entry["dtype"] as? String,
                          let shape = entry["shape"] as? [Int], let offsets = entry["data_offsets"] as? [Int],
                          offsets.count == 2, 8 + n + offsets[1] <= data.count
                    else { continue }
                    result[name] = Tensor(dtype: dtype, shape: shape, bytes: data.subdata(in: (8 + n + offsets[0])..<(8 + n + offsets[1])))
                }
            }
        }
        tensors = result
    }

    subscript(_ name: String) -> Tensor? { tensors[name] }
}

/// Comparison with the report the house style asks for: name, max abs diff, worst index, tolerance.
struct Mismatch: CustomStringConvertible {
    let name: String
    let maxAbsDiff: Double
    let worstIndex: Int
    let differing: Int
    let tolerance: Double
    var description: String {
        "\(name): max |diff| \(maxAbsDiff) at flat index \(worstIndex) (\(differing) elements over tolerance \(tolerance))"
    }

    static func check<T: BinaryInteger>(_ name: String, _ actual: [T], _ expected: [T], tolerance: Int = 0) -> Mismatch? {
        guard actual.count == expected.count else {
            return Mismatch(name: "\(name) (count \(actual.count) vs \(expected.count))", maxAbsDiff: .infinity, worstIndex: -1, differing: -1, tolerance: Double(tolerance))
        }
        var worst = 0, index = -1, over = 0
        for i in actual.indices {
            let d = abs(Int(actual[i]) - Int(expected[i]))
            if d > tolerance { over += 1 }
            if d > worst { worst = d; index = i }
        }
        return over == 0 ? nil : Mismatch(name: name, maxAbsDiff: Double(worst), worstIndex: index, differing: over, tolerance: Double(tolerance))
    }

    static func check(_ name: String, _ actual: [Float], _ expected: [Float], tolerance: Float) -> Mismatch? {
        guard actual.count == expected.count else {
            return Mismatch(name: "\(name) (count \(actual.count) vs \(expected.count))", maxAbsDiff: .infinity, worstIndex: -1, differing: -1, tolerance: Double(tolerance))
        }
        var worst: Float = 0, index = -1, over = 0
        for i in actual.indices {
            let d = abs(actual[i] - expected[i])
            if !(d <= tolerance) { over += 1 }
            if d > worst || d.isNaN { worst = d; index = i }
        }
        return over == 0 ? nil : Mismatch(name: name, maxAbsDiff: Double(worst), worstIndex: index, differing: over, tolerance: Double(tolerance))
    }
}
