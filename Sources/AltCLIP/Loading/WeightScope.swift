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
            if let problem = check(source, key, shape) { return try report(problem, shape: shape) }
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
    /// The problem with `key` in `source` for a parameter of `shape`, if any.
    private func check(_ source: ParameterSource, _ key: String, _ shape: [Int]) -> AltCLIPError? {
        guard let actual = source.shape(of: key) else { return .missingParameter(key: key, file: nil) }
        // A 0-d scalar (logit_scale) is accepted for shape [] or [1].
        guard actual == shape || (shape.isEmpty && actual == [1]) else {
            return .shapeMismatch(key: key, expected: shape, actual: actual)
        }
        return nil
    }

    /// The values of `key` as stored when the checkpoint holds them in bfloat16 or float16 and the shape is right
    /// (marking the key used); nil otherwise, including every problem, which `parameter` then reports.
    func halfPrecisionValues(_ key: String, shape: [Int]) throws -> HalfPrecisionValues? {
        guard case let .checkpoint(source) = mode, check(source, key, shape) == nil else { return nil }
        let values: HalfPrecisionValues?
        do { values = try source.halfPrecisionValues(key) } catch {
            throw AltCLIPError.checkpoint(key: key, underlying: "\(error)")
        }
        if values != nil { usedKeys.insert(key) }
        return values
    }

    /// A linear layer's weight: a bf16/fp16 checkpoint's values as they are (never widened to Float32
    /// as a whole at load; converted on first use), otherwise the Float32 tensor of `parameter`.
    func linearWeight(_ key: String, shape: [Int], initializer: ParameterInit, precision: ComputePrecision? = nil) throws
        -> LinearWeight {
        let precision = precision ?? self.precision
        if let values = try halfPrecisionValues(key, shape: shape) {
            return try LinearWeight(halfPrecision: values, precision: precision, outFeatures: shape[0], inFeatures: shape[1])
        }
        return try LinearWeight(try parameter(key, shape: shape, initializer: initializer), precision: precision)
    }

    fileprivate func report(_ problem: AltCLIPError, shape: [Int]) throws -> Tensor {
        guard audit else { throw problem }
        problems.append(problem)
        // Reported, not built: zeros that take no memory, whatever size the config claims.
        return try Tensor.placeholderZeros(shape, for: "placeholder for \(problem)")
    }
}

/// A position in the checkpoint key tree, e.g. `text_model.roberta.encoder.layer.3.`.
/// Each layer type names only its own child keys through `scope("child")`.
public struct WeightScope {
    let loader: ParameterLoader
    /// The dotted prefix, empty or ending in ".".
    public let prefix: String
    /// The precision of the linear layers under this scope when it differs from the loader's (see
    /// `keepingBFloat16UnderInt8()`), inherited by child scopes.
    let linearPrecision: ComputePrecision?

    public init(loader: ParameterLoader, prefix: String = "") {
        self.init(loader: loader, prefix: prefix, linearPrecision: nil)
    }

    private init(loader: ParameterLoader, prefix: String, linearPrecision: ComputePrecision?) {
        self.loader = loader
        self.prefix = prefix.isEmpty || prefix.hasSuffix(".") ? prefix : prefix + "."
        self.linearPrecision = linearPrecision
    }

    /// The scope of a child module.
    public func callAsFunction(_ child: String) -> WeightScope {
        WeightScope(loader: loader, prefix: prefix + child + ".", linearPrecision: linearPrecision)
    }

    /// The scope of the `index`-th module of a list.
    public func callAsFunction(_ child: String, _ index: Int) -> WeightScope {
        WeightScope(loader: loader, prefix: prefix + child + ".\(index).", linearPrecision: linearPrecision)
    }

    /// This scope with its linear layers in bfloat16 when the loader's precision is int8 (unchanged
    /// otherwise): for the layers whose int8 error the embeddings feel most (see `ComputePrecision.int8`
    /// and the text tower).
    func keepingBFloat16UnderInt8() -> WeightScope {
        guard loader.precision == .int8 else { return self }
        return WeightScope(loader: loader, prefix: prefix, linearPrecision: .bfloat16)
    }

    /// A parameter of this module.
    public func parameter(_ name: String, shape: [Int], initializer: ParameterInit) throws -> Tensor {
        try loader.parameter(prefix + name, shape: shape, initializer: initializer)
    }

    /// A parameter of this module as stored, when the checkpoint holds it in bf16/fp16 (see `Embedding`).
    func halfPrecisionValues(_ name: String, shape: [Int]) throws -> HalfPrecisionValues? {
        try loader.halfPrecisionValues(prefix + name, shape: shape)
    }

    /// A linear layer's weight `[out, in]` of this module, in the loader's precision (see `Linear`).
    func linearWeight(_ name: String, shape: [Int], initializer: ParameterInit) throws -> LinearWeight {
        try loader.linearWeight(prefix + name, shape: shape, initializer: initializer, precision: linearPrecision)
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
