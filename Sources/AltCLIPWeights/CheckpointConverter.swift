import AltCLIPSupport
import Foundation

/// Rewrites any checkpoint a `WeightStore` reads (`pytorch_model.bin`, sharded or not, or safetensors)
/// as one safetensors file, so later loads map it instead of running a pickle.
///
/// Key names are kept exactly as the source has them (the hub's names stay the hub's names).
/// Floating-point tensors are stored in the requested precision, rounded to nearest even as torch's
/// `.float()`, `.half()` and `.bfloat16()` do on CPU; integer and bool tensors (`position_ids`
/// buffers) are copied unchanged. A tensor already in the requested precision is copied byte for byte,
/// so an F32 checkpoint converted to `.float32` round-trips bit-exactly. The header is laid out as
/// Python's `safetensors` writes it, with transformers' `{"format": "pt"}` metadata.
///
/// ```swift
/// let store = try WeightStore.open(directory: modelFolder)
/// try CheckpointConverter.convert(store: store, to: modelFolder.appendingPathComponent("model.safetensors"),
///                                 dtype: .float16)
/// ```
public enum CheckpointConverter {
    /// The floating-point precision of the written file.
    public enum Precision: String, Sendable, CaseIterable, CustomStringConvertible {
        /// IEEE single precision (F32).
        case float32 = "fp32"
        /// IEEE half precision (F16).
        case float16 = "fp16"
        /// bfloat16 (BF16).
        case bfloat16 = "bf16"

        /// The safetensors dtype floating-point tensors get.
        public var dtype: WeightDType {
            switch self {
            case .float32: return .float32
            case .float16: return .float16
            case .bfloat16: return .bfloat16
            }
        }

        /// `fp32`, `fp16` or `bf16`.
        public var description: String { rawValue }
    }

    /// What a conversion wrote.
    public struct Summary: Sendable, Equatable {
        /// Tensors written (all of the store's keys).
        public let tensorCount: Int
        /// Floating-point tensors whose dtype changed.
        public let convertedCount: Int
        /// Size of the written file in bytes.
        public let fileSize: Int
    }

    /// Writes every tensor of `store` to `url` (atomically: a crash never leaves a partial file under
    /// that name) with floating-point tensors in `dtype`.
    @discardableResult
    public static func convert(store: WeightStore, to url: URL, dtype: Precision = .float32,
                               metadata: [String: String] = ["format": "pt"]) throws -> Summary {
        let (writer, converted) = try makeWriter(store: store, dtype: dtype, metadata: metadata)
        try writer.write(to: url)
        let size = (try? FileManager.default.attributesOfItem(atPath: url.path)[.size] as? Int) ?? nil
        return Summary(tensorCount: store.keys.count, convertedCount: converted, fileSize: size ?? 0)
    }

    /// The file `convert` would write, in memory (tests and small checkpoints).
    public static func serialized(store: WeightStore, dtype: Precision = .float32,
                                  metadata: [String: String] = ["format": "pt"]) throws -> [UInt8] {
        try makeWriter(store: store, dtype: dtype, metadata: metadata).writer.serialized()
    }

    /// A writer over the store's tensors: those kept as they are go from the mapped file straight to the
    /// output; converted ones are converted one at a time while the file is written.
    private static func makeWriter(store: WeightStore, dtype: Precision,
                                   metadata: [String: String]) throws -> (writer: SafetensorsWriter, converted: Int) {
        var writer = SafetensorsWriter(metadata: metadata)
        var converted = 0
        for key in store.keys {
            let tensor = try store.tensor(key)
            let target = tensor.dtype.isFloatingPoint ? dtype.dtype : tensor.dtype
            guard target != tensor.dtype else {
                try writer.add(tensor)
                continue
            }
            converted += 1
            try writer.add(key, dtype: target, shape: tensor.shape) { out in
                try fill(out, from: tensor, as: target)
            }
        }
        return (writer, converted)
    }

    /// Writes `tensor`'s values as `target` into `out` (exactly `elementCount × target.byteSize` bytes).
    private static func fill(_ out: UnsafeMutableRawBufferPointer, from tensor: WeightTensor, as target: WeightDType) throws {
        guard out.count == tensor.elementCount * target.byteSize else {
            throw WeightError.invalidTensor(key: tensor.name, reason: "converted size \(out.count) does not match \(tensor.shape) × \(target)")
        }
        let count = tensor.elementCount
        if count == 0 { return }
        // torch narrows F32 → BF16 with a vector kernel that turns NaN into 0xFFFF; F16 (and mostly F64)
        // go through the scalar c10::BFloat16 conversion, which gives 0x7FC0. Values round through F32.
        let bfloat16NaN: UInt16 = tensor.dtype == .float32 ? 0xFFFF : 0x7FC0
        try tensor.withFloat32 { values in
            let destination = UnsafeMutableRawBufferPointer(start: out.baseAddress, count: out.count)
            parallelChunks(count) { start, end in
                switch target {
                case .float32:
                    for i in start..<end {
                        destination.storeBytes(of: values[i].bitPattern.littleEndian, toByteOffset: i * 4, as: UInt32.self)
                    }
                case .float16:
                    for i in start..<end {
                        destination.storeBytes(of: HalfPrecision.float16Bits(from: values[i]).littleEndian,
                                               toByteOffset: i * 2, as: UInt16.self)
                    }
                default:
                    for i in start..<end {
                        let bits = values[i].isNaN ? bfloat16NaN : HalfPrecision.bfloat16Bits(from: values[i])
                        destination.storeBytes(of: bits.littleEndian, toByteOffset: i * 2, as: UInt16.self)
                    }
                }
            }
        }
    }

    /// Runs `body` over `[start, end)` chunks of `0..<count`, on all cores when there is enough work.
    private static func parallelChunks(_ count: Int, _ body: (Int, Int) -> Void) {
        let chunk = 1 << 18
        let chunks = (count + chunk - 1) / chunk
        if chunks <= 1 {
            body(0, count)
            return
        }
        ThreadBudget.forEach(iterations: chunks) { index in
            body(index * chunk, min(count, (index + 1) * chunk))
        }
    }
}
