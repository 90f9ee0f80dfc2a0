import AltCLIPTensor
import AltCLIPWeights

/// A `WeightStore` (safetensors or PyTorch checkpoint) as a parameter source: aligned F32 tensors are
/// borrowed from the mapped file, other float types are widened once at load time.
final class CheckpointSource: ParameterSource {
    let store: WeightStore

    init(store: WeightStore) { self.store = store }

    var keys: [String] { store.keys }

    func shape(of key: String) -> [Int]? { store.info(key)?.shape }

    func tensor(_ key: String) throws -> Tensor {
        let weight = try store.tensor(key)
        if weight.dtype == .float32, let base = weight.bytes.baseAddress,
           Int(bitPattern: base) % MemoryLayout<Float>.alignment == 0 {
            return Tensor(shape: weight.shape, borrowing: base.assumingMemoryBound(to: Float.self), owner: weight.owner,
                          fileMapped: weight.isFileMapped)
        }
        return Tensor(shape: weight.shape, scalars: try weight.float32Values())
    }

    func halfPrecisionValues(_ key: String) throws -> HalfPrecisionValues? {
        let format: HalfPrecisionValues.Format
        switch store.info(key)?.dtype {
        case .bfloat16?: format = .bfloat16
        case .float16?: format = .float16
        default: return nil
        }
        let weight = try store.tensor(key)
        guard let base = weight.bytes.baseAddress, Int(bitPattern: base) % 2 == 0 else { return nil }
        return HalfPrecisionValues(format: format, bits: base.assumingMemoryBound(to: UInt16.self),
                                   count: weight.elementCount, owner: weight.owner, fileMapped: weight.isFileMapped)
    }
}
