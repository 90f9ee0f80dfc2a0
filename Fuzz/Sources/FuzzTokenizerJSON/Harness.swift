import CFuzzDriver
import AltCLIPSupport
import AltCLIPTokenizer
import Foundation
import FuzzSupport

/// tokenizer.json (Unigram vocabulary, precompiled charsmap, added tokens), then a few encodes and decodes.
public func fuzzTokenizerJSON(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    guard let data else { return 0 }
    return TokenizerHarness.run(data, size, fileName: "tokenizer.json") { try XLMRobertaTokenizer(tokenizerJSON: $0) }
}

@_cdecl("FuzzTokenizerJSON_main")
public func main(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> Int32 {
    altclip_fuzz_main(argc, argv) { fuzzTokenizerJSON($0, $1) }
}
