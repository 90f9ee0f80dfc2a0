import CFuzzDriver
import AltCLIPImage
import AltCLIPSupport
import Foundation

/// preprocessor_config.json, then one small image through the processor it describes.
public func fuzzPreprocessorConfig(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    guard let data else { return 0 }
    MemoryBudget.limit = 256 << 20
    guard let config = try? CLIPImageProcessorConfig(jsonData: Data(bytes: data, count: size)),
          let processor = try? CLIPImageProcessor(config: config),
          let image = try? RGBImage(width: 7, height: 5, pixels: [UInt8](repeating: 128, count: 7 * 5 * 3)) else { return 0 }
    _ = try? processor.preprocess(image)
    return 0
}

@_cdecl("FuzzPreprocessorConfig_main")
public func main(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> Int32 {
    altclip_fuzz_main(argc, argv) { fuzzPreprocessorConfig($0, $1) }
}
