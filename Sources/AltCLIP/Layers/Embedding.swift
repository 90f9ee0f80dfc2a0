import AltCLIPTensor

/// `nn.Embedding`: key `weight` [count, dimension].
public struct Embedding: @unchecked Sendable {
    public let weight: Tensor

    public var count: Int { weight.shape[0] }
    public var dimension: Int { weight.shape[1] }

    init(_ scope: WeightScope, count: Int, dimension: Int, std: Float, paddingIndex: Int? = nil) throws {
        let initializer: ParameterInit = paddingIndex.map { .normalWithZeroRow(std: std, row: $0) } ?? .normal(std: std)
        weight = try scope.parameter("weight", shape: [count, dimension], initializer: initializer)
    }

    /// Rows for `ids` laid out as `shape` (result shape `shape + [dimension]`).
    public func callAsFunction(_ ids: [Int], shape: [Int]) throws -> Tensor {
        do {
            return try Ops.gather(weight, ids: ids, shape: shape)
        } catch {
            let bad = ids.first { $0 < 0 || $0 >= count } ?? -1
            throw AltCLIPError.invalidInput("id \(bad) is outside the embedding table of \(count) rows")
        }
    }
}
