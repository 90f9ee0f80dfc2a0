import Foundation

/// The parity fixtures in `Tests/Fixtures/models` (see its README.md for the schema).
struct ModelFixture: CustomStringConvertible {
    /// Folder name, e.g. `hub-gelu-quickgelu`.
    let name: String
    /// `transformers-5` or `transformers-4`.
    let generator: String
    let folder: URL

    var description: String { name }
    var configURL: URL { folder.appendingPathComponent("config.json") }
    var modelURL: URL { folder.appendingPathComponent("model.safetensors") }
    /// True for the text-only fixtures written by transformers 4.x.
    var isTextOnly: Bool { generator == "transformers-4" }

    func inputs() throws -> FixtureSafetensors {
        try FixtureSafetensors(contentsOf: folder.appendingPathComponent("inputs.safetensors"))
    }

    func outputs() throws -> FixtureSafetensors {
        try FixtureSafetensors(contentsOf: folder.appendingPathComponent("outputs.safetensors"))
    }

    func weights() throws -> FixtureSafetensors { try FixtureSafetensors(contentsOf: modelURL) }

    /// `Tests/Fixtures/models`, found from this source file's location.
    static let root: URL = {
        var url = URL(fileURLWithPath: #filePath)
        while url.lastPathComponent != "Tests", url.path != "/" { url.deleteLastPathComponent() }
        return url.appendingPathComponent("Fixtures/models")
    }()

    /// The fixtures listed in manifest.json, in manifest order.
    static let all: [ModelFixture] = {
        guard let data = try? Data(contentsOf: root.appendingPathComponent("manifest.json")),
              let json = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
              let list = json["fixtures"] as? [[String: Any]]
        else { return [] }
        return list.compactMap { entry in
            guard let name = entry["name"] as? String, let generator = entry["generator"] as? String else { return nil }
            return ModelFixture(name: name, generator: generator, folder: root.appendingPathComponent(name))
        }
    }()

    /// Manifest entry (`files` with `bytes` and `sha256`, `outputs`, `inputs`, `seed`, ...).
    var manifestEntry: [String: Any] {
        guard let data = try? Data(contentsOf: Self.root.appendingPathComponent("manifest.json")),
              let json = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
              let list = json["fixtures"] as? [[String: Any]]
        else { return [:] }
        return list.first { $0["name"] as? String == name } ?? [:]
    }
}

/// Result of comparing a computed tensor with a reference under `|a - r| <= atol + rtol * |r|`.
struct Closeness: CustomStringConvertible {
    let name: String
    let maxAbsDiff: Double
    /// Multi-index of the element that exceeds its tolerance the most (or the largest difference).
    let worstIndex: [Int]
    let actualAtWorst: Double
    let referenceAtWorst: Double
    let atol: Double
    let rtol: Double
    let failures: Int
    let shapeMismatch: String?

    var passed: Bool { shapeMismatch == nil && failures == 0 }

    var description: String {
        if let shapeMismatch { return "\(name): \(shapeMismatch)" }
        return "\(name): max |diff| \(maxAbsDiff) at \(worstIndex) (got \(actualAtWorst), ref \(referenceAtWorst)), "
            + "\(failures) element(s) over tolerance \(atol) + \(rtol)*|ref|"
    }

    /// The tolerance for every stored tensor.
    static func compare(_ actual: [Float], shape: [Int], to reference: FixtureTensor,
                        atol: Double = 1e-4, rtol: Double = 1e-3) -> Closeness {
        let name = reference.name
        guard shape == reference.shape, actual.count == reference.count else {
            return Closeness(name: name, maxAbsDiff: .infinity, worstIndex: [], actualAtWorst: .nan,
                             referenceAtWorst: .nan, atol: atol, rtol: rtol, failures: reference.count,
                             shapeMismatch: "shape \(shape) (\(actual.count) values), reference \(reference.shape)")
        }
        let ref = reference.floats
        var maxAbs = 0.0, worstRatio = -1.0, worst = 0, failures = 0
        for i in 0 ..< ref.count {
            let a = Double(actual[i]), r = Double(ref[i])
            let diff = abs(a - r)
            let ratio = diff.isNaN ? .infinity : diff / (atol + rtol * abs(r))
            if diff > maxAbs || diff.isNaN { maxAbs = diff.isNaN ? .nan : max(maxAbs, diff) }
            if ratio > 1 { failures += 1 }
            if ratio > worstRatio { worstRatio = ratio; worst = i }
        }
        var index: [Int] = []
        var rest = worst
        for dim in shape.reversed() {
            index.insert(dim > 0 ? rest % dim : 0, at: 0)
            rest = dim > 0 ? rest / dim : 0
        }
        return Closeness(name: name, maxAbsDiff: maxAbs, worstIndex: index,
                         actualAtWorst: ref.isEmpty ? .nan : Double(actual[worst]),
                         referenceAtWorst: ref.isEmpty ? .nan : Double(ref[worst]),
                         atol: atol, rtol: rtol, failures: failures, shapeMismatch: nil)
    }
}
