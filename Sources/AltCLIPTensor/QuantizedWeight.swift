#if canImport(Glibc)
import Glibc
#endif

/// A `[out, in]` linear weight quantized once to signed 8-bit integers with one symmetric scale per
/// output channel: `W[o, k] ≈ scale[o] · q[o, k]`, `q ∈ [-127, 127]`. Holds no Float32 copy.
///
/// Used by `Ops.quantizedLinear` (oneDNN's VNNI integer GEMM); `columnSums` are the per-channel sums of
/// `q` that turn the activations' zero points into a per-row correction after the integer product.
public struct QuantizedWeight: @unchecked Sendable {
    /// Output features (rows of the weight).
    public let outFeatures: Int
    /// Input features (columns of the weight).
    public let inFeatures: Int
    let storage: Int8Storage

    /// Quantizes `weight` `[out, in]`: per output channel, `scale = max|w| / 127`, `q = round(w / scale)`
    /// (ties to even); an all-zero row gets scale 0 and `q = 0`. When `weight` borrows memory (an
    /// mmap'd checkpoint), its pages are handed back to the kernel afterwards so the Float32 copy does
    /// not stay resident next to the int8 one (the data stays valid; it is re-read if ever touched).
    public init(_ weight: Tensor) {
        precondition(weight.rank == 2, "QuantizedWeight: weight must be [out, in], got \(weight.shape)")
        let rows = weight.shape[0], cols = weight.shape[1]
        outFeatures = rows
        inFeatures = cols
        storage = Int8Storage(rows: rows, cols: cols)
        let w = weight.pointer, q = storage.values, scales = storage.scales, sums = storage.columnSums
        Threading.parallelFor(rows, costPerItem: 4 * cols) { range in
            for o in range {
                let row = w + o * cols, out = q + o * cols
                var largest: Float = 0
                for k in 0..<cols { let a = abs(row[k]); largest = a > largest ? a : largest }
                let scale = largest / 127
                scales[o] = scale
                let inverse: Float = scale > 0 ? 1 / scale : 0
                var sum: Int32 = 0
                for k in 0..<cols {
                    var scaled = Ops.roundedToEven(row[k] * inverse)
                    scaled = scaled >= -127 ? scaled : -127  // also maps NaN, so the conversion cannot trap
                    scaled = scaled <= 127 ? scaled : 127
                    let v = Int32(scaled)
                    out[k] = Int8(truncatingIfNeeded: v)
                    sum &+= v
                }
                sums[o] = sum
            }
        }
        weight.releaseBorrowedPages()
    }

    /// The quantized values, row-major `[out, in]` (a copy; for tests and inspection).
    public var values: [Int8] { Array(UnsafeBufferPointer(start: storage.values, count: outFeatures * inFeatures)) }

    /// The per-output-channel scales (a copy).
    public var scales: [Float] { Array(UnsafeBufferPointer(start: storage.scales, count: outFeatures)) }

    /// `scale[o] · q[o, k]` as a Float32 `[out, in]` tensor (what the integer product multiplies by).
    public func dequantized() -> Tensor {
        let result = Tensor(uninitializedShape: [outFeatures, inFeatures])
        let out = result.storage.pointer
        for o in 0..<outFeatures {
            let scale = storage.scales[o], row = storage.values + o * inFeatures
            for k in 0..<inFeatures { out[o * inFeatures + k] = scale * Float(row[k]) }
        }
        return result
    }

    /// Bytes held (values, scales and column sums).
    public var byteCount: Int { outFeatures * inFeatures + 8 * outFeatures }
}

/// 64-byte aligned owned buffers behind a `QuantizedWeight`.
final class Int8Storage: @unchecked Sendable {
    let values: UnsafeMutablePointer<Int8>
    let scales: UnsafeMutablePointer<Float>
    let columnSums: UnsafeMutablePointer<Int32>

    init(rows: Int, cols: Int) {
        values = UnsafeMutableRawPointer.allocate(byteCount: max(rows * cols, 1), alignment: 64)
            .bindMemory(to: Int8.self, capacity: max(rows * cols, 1))
        scales = .allocate(capacity: max(rows, 1))
        columnSums = .allocate(capacity: max(rows, 1))
    }

    deinit {
        UnsafeMutableRawPointer(values).deallocate()
        scales.deallocate()
        columnSums.deallocate()
    }
}
