import CFuzzDriver
import AltCLIPSupport
import AltCLIPTokenizer
import Foundation
import FuzzSupport

/// sentencepiece.bpe.model (protobuf, pieces, charsmap), then a few encodes and decodes.
public func fuzzSentencePiece(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    guard let data else { return 0 }
    return TokenizerHarness.run(data, size, fileName: "sentencepiece.bpe.model") { try XLMRobertaTokenizer(sentencePieceModel: $0) }
}

@_cdecl("FuzzSentencePiece_main")
public func main(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> Int32 {
    altclip_fuzz_main(argc, argv) { fuzzSentencePiece($0, $1) }
}
