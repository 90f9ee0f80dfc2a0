import AltCLIPSupport
import AltCLIPTokenizer
import Foundation

/// The tokenizer loaders read files: each input is written to one file in memory-backed /dev/shm.
public enum TokenizerHarness {
    static let texts = ["a red circle", "红色的圆形 un triangle bleu", "ＡＢＣ①\u{301}\u{0}\t  x", "", String(repeating: "é", count: 300)]
    static let url = URL(fileURLWithPath: "/dev/shm/altclip-fuzz-\(getpid())")

    public static func run(_ data: UnsafePointer<UInt8>, _ size: Int, fileName: String, load: (URL) throws -> XLMRobertaTokenizer) -> Int32 {
        MemoryBudget.limit = 256 << 20
        try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        let file = url.appendingPathComponent(fileName)
        guard (try? Data(bytes: data, count: size).write(to: file)) != nil, let tokenizer = try? load(file) else { return 0 }
        for text in texts {
            let ids = tokenizer.encode(text)
            _ = tokenizer.decode(ids, skipSpecialTokens: false)
        }
        _ = try? tokenizer(texts, padding: .longest, truncation: true, maxLength: 16)
        return 0
    }
}
