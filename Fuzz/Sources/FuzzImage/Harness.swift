import CFuzzDriver
import AltCLIPImage
import AltCLIPSupport
import Foundation

/// Every image decoder (the format is sniffed: PNG, JPEG, WebP, GIF, BMP), with EXIF orientation
/// and alpha handling, then CLIP preprocessing of what decodes. A lower pixel limit than Pillow's keeps
/// each run fast; the limit logic itself is what is being tested.
public func fuzzImage(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    guard let data else { return 0 }
    MemoryBudget.limit = 256 << 20
    let bytes = Data(bytes: data, count: size)
    let options = DecodeOptions(applyExifOrientation: size % 2 == 0, maxPixels: 4 << 20)
    guard let image = try? ImageDecoder.decode(data: bytes, name: "input", options: options) else { return 0 }
    _ = try? CLIPImageProcessor().preprocess(image)
    return 0
}

@_cdecl("FuzzImage_main")
public func main(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> Int32 {
    altclip_fuzz_main(argc, argv) { fuzzImage($0, $1) }
}
