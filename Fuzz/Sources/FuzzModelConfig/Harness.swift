import CFuzzDriver
import AltCLIP
import AltCLIPSupport
import Foundation

/// config.json: the combined config and each tower's, as a model folder's config is read.
public func fuzzModelConfig(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    guard let data else { return 0 }
    MemoryBudget.limit = 256 << 20
    let bytes = Data(bytes: data, count: size)
    if let config = try? AltCLIPConfig(jsonData: bytes, path: "config.json") { _ = try? config.jsonData() }
    _ = try? AltCLIPTextConfig(jsonData: bytes, path: "config.json")
    _ = try? AltCLIPVisionConfig(jsonData: bytes, path: "config.json")
    return 0
}

@_cdecl("FuzzModelConfig_main")
public func main(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> Int32 {
    altclip_fuzz_main(argc, argv) { fuzzModelConfig($0, $1) }
}
