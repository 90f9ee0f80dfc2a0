/// A tensor view as `_rebuild_tensor_v2/_v3` describe it; checked later, when its key is known.
struct TorchTensorRef {
    let storage: Int
    let dtype: WeightDType
    let offset: Int64
    let shape: [Int64]
    let stride: [Int64]
}
