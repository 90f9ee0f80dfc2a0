import AltCLIPTensor

/// `nn.Embedding`: key `weight` [count, dimension].
///
/// A bf16/fp16 checkpoint's table is kept as stored and only the looked-up rows are widened (exactly),
/// so XLM-R's 250k-row word embeddings take 0.5 GB instead of 1 GB and no time at load.
public struct Embedding: @unchecked Sendable {
    private let table: Tensor?
    private let compact: HalfPrecisionValues?
    public let count: Int
    public let dimension: Int

    /// The table [count, dimension] as Float32 (a widened copy for a bf16/fp16 checkpoint).
    public var weight: Tensor {
        if let table { return table }
        return compact!.widened(shape: [count, dimension])
    }

    init(_ scope: WeightScope, count: Int, dimension: Int, std: Float, paddingIndex: Int? = nil) throws {
        let initializer: ParameterInit = paddingIndex.map { .normalWithZeroRow(std: std, row: $0) } ?? .normal(std: std)
        self.count = count
        self.dimension = dimension
        if let values = try scope.halfPrecisionValues("weight", shape: [count, dimension]) {
            compact = values
            table = nil
        } else {
            compact = nil
            table = try scope.parameter("weight", shape: [count, dimension], initializer: initializer)
        }
    }

    /// Rows for `ids` laid out as `shape` (result shape `shape + [dimension]`).
    public func callAsFunction(_ ids: [Int], shape: [Int]) throws -> Tensor {
        do {
            if let table { return try Ops.gather(table, ids: ids, shape: shape) }
            let values = compact!
            return try Ops.gather(halfPrecisionTable: values.bits, bfloat16: values.format == .bfloat16, rows: count,
                                  dimension: dimension, ids: ids, shape: shape)
        } catch {
            let bad = ids.first { $0 < 0 || $0 >= count } ?? -1
            throw AltCLIPError.invalidInput("id \(bad) is outside the embedding table of \(count) rows")
        }
    }
}
