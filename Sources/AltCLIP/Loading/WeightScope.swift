import AltCLIPTensor

/// Hands out parameters by key while a model is being built, and records which checkpoint keys were
/// used so unused ones can be reported.
public final class ParameterLoader {
    enum Mode {
        case checkpoint(ParameterSource)
        case random(NormalGenerator)
    }

    private var mode: Mode
    /// Full keys consumed so far.
    public private(set) var usedKeys: Set<String> = []
    /// In audit mode, problems are collected here instead of thrown (see `init(auditing:)`).
    public private(set) var problems: [AltCLIPError] = []
    private let audit: Bool
    /// What `Linear` layers built from this loader convert their weights to (default: exact Float32).
    public var precision: ComputePrecision = .float32

    /// Loads every parameter from `source`.
    public init(source: ParameterSource) {
        mode = .checkpoint(source)
        audit = false
    }

    /// Loads from `source` but records every missing or misshapen parameter in `problems` (standing in
    /// zeros) instead of stopping at the first: for `altclip inspect`.
    public init(auditing source: ParameterSource) {
        mode = .checkpoint(source)
        audit = true
    }

    /// Initialises every parameter at random as transformers does, from `seed`.
    public init(randomSeed seed: UInt64) {
        mode = .random(NormalGenerator(seed: seed))
        audit = false
    }

    var source: ParameterSource? {
        if case let .checkpoint(source) = mode { return source }
        return nil
    }

    func contains(_ key: String) -> Bool {
        source?.shape(of: key) != nil
    }

    /// True when some checkpoint key starts with `prefix` (always true for random initialisation).
    func hasKeys(withPrefix prefix: String) -> Bool {
        guard let source else { return true }
        return source.keys.contains { $0.hasPrefix(prefix) }
    }

    func parameter(_ key: String, shape: [Int], initializer: ParameterInit) throws -> Tensor {
        switch mode {
        case let .checkpoint(source):
            guard let actual = source.shape(of: key) else {
                return try report(.missingParameter(key: key, file: nil), shape: shape)
            }
            // A 0-d scalar (logit_scale) is accepted for shape [] or [1].
            guard actual == shape || (shape.isEmpty && actual == [1]) else {
                return try report(.shapeMismatch(key: key, expected: shape, actual: actual), shape: shape)
            }
            usedKeys.insert(key)
            let tensor: Tensor
            do { tensor = try source.tensor(key) } catch {
                throw AltCLIPError.checkpoint(key: key, underlying: "\(error)")
            }
            return tensor.reshaped(shape)
        case var .random(generator):
            // Random initialisation never fails.
            defer { mode = .random(generator) }
            return generator.tensor(shape: shape, initializer: initializer)
        }
    }
}

extension ParameterLoader {
    fileprivate func report(_ problem: AltCLIPError, shape: [Int]) throws -> Tensor {
        guard audit else { throw problem }
        problems.append(problem)
        return Tensor(zeros: shape)
    }
}

/// A position in the checkpoint key tree, e.g. `text_model.roberta.encoder.layer.3.`.
/// Each layer type names only its own child keys through `scope("child")`.
public struct WeightScope {
    let loader: ParameterLoader
    /// The dotted prefix, empty or ending in ".".
    public let prefix: String

    public init(loader: ParameterLoader, prefix: String = "") {
        self.loader = loader
        self.prefix = prefix.isEmpty || prefix.hasSuffix(".") ? prefix : prefix + "."
    }

    /// The scope of a child module.
    public func callAsFunction(_ child: String) -> WeightScope {
        WeightScope(loader: loader, prefix: prefix + child + ".")
    }

    /// The scope of the `index`-th module of a list.
    public func callAsFunction(_ child: String, _ index: Int) -> WeightScope {
        WeightScope(loader: loader, prefix: prefix + child + ".\(index).")
    }

    /// A parameter of this module.
    public func parameter(_ name: String, shape: [Int], initializer: ParameterInit) throws -> Tensor {
        try loader.parameter(prefix + name, shape: shape, initializer: initializer)
    }

    /// Whether the checkpoint has any key under `child.` (used to pick between key spellings).
    func hasChild(_ child: String) -> Bool {
        loader.hasKeys(withPrefix: prefix + child + ".")
    }

    /// The list-module name a checkpoint uses: transformers 4.x and the hub write e.g.
    /// `encoder.layers.N` for the vision tower and `encoder.layer.N` for the text tower, transformers
    /// 5.x writes `layer.N` for both. Prefers `preferred` when both or neither exist.
    func listName(_ preferred: String, alternative: String) -> String {
        if !hasChild(preferred) && hasChild(alternative) { return alternative }
        return preferred
    }
}
