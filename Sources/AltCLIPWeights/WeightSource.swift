/// One opened weight file (a safetensors file or a PyTorch archive), as `WeightStore` sees it.
protocol WeightSource: AnyObject {
    /// The file's path, for error messages.
    var path: String { get }
    /// Every tensor key, in the file's own order.
    var orderedKeys: [String] { get }
    /// Dtype and shape of `key`, or nil when absent.
    func info(_ key: String) -> TensorInfo?
    /// The tensor's bytes, contiguous; throws `keyNotFound` when absent.
    func tensor(_ key: String) throws -> WeightTensor
}
