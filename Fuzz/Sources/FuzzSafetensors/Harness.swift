import CFuzzDriver
import AltCLIPSupport
@testable import AltCLIPWeights

/// safetensors header and tensor access: open the bytes as a checkpoint, read every tensor.
public func fuzzSafetensors(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    guard let data else { return 0 }
    MemoryBudget.limit = 256 << 20
    guard let store = try? WeightStore(contents: Array(UnsafeBufferPointer(start: data, count: size)), name: "model.safetensors") else { return 0 }
    for key in store.keys {
        guard let tensor = try? store.tensor(key) else { continue }
        _ = try? tensor.withFloat32 { $0.reduce(0, +) }
        _ = try? tensor.int64Values()
    }
    return 0
}

@_cdecl("FuzzSafetensors_main")
public func main(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> Int32 {
    altclip_fuzz_main(argc, argv) { fuzzSafetensors($0, $1) }
}
