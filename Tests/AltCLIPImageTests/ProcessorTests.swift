import Foundation
import Testing
@testable import AltCLIPImage

/// `CLIPImageProcessor` against transformers 5.24's `CLIPImageProcessorPil` for every fixture config
/// (CLIP's own, bicubic/bilinear/lanczos/box/hamming/nearest/MKS, shortest edge, {height, width},
/// legacy integers, shortest+longest edge, max height/width, crop larger than the image, no resize,
/// other mean/std, no rescale, no normalize, do_pad, the nested processor_config.json).
@Suite struct ProcessorTests {
    static let cases: [String] = Fixtures.section("pipeline").keys.filter { !$0.hasSuffix("/batch") }.sorted()

    static func image(_ name: String) throws -> RGBImage {
        try ImageDecoder.decode(contentsOf: Fixtures.source("\(name).png"))
    }

    /// The reference pixel_values: stored directly, or as the 8-bit crop and transformers' value of each
    /// level (the generator checks that the two forms are bit-identical).
    static func expectedValues(config: String, key: String) throws -> [Float]? {
        if let direct = Fixtures.pipeline["\(key)/pixel_values"] { return direct.float32 }
        guard let crop = Fixtures.pipeline["\(key)/crop"], let table = Fixtures.pipeline["\(config)/table"] else { return nil }
        let levels = table.float32
        let plane = crop.shape[1] * crop.shape[2]
        return crop.uint8.enumerated().map { levels[($0.offset / plane) * 256 + Int($0.element)] }
    }

    @Test func everyConfigIsCovered() {
        let configs = Set(Self.cases.map { String($0.split(separator: "/")[0]) })
        #expect(configs.count == 17)
        #expect(Self.cases.count >= 120)
    }

    @Test(arguments: cases)
    func matchesTransformers(_ key: String) throws {
        let parts = key.split(separator: "/").map(String.init)
        let (config, name) = (parts[0], parts[1])
        let meta = try #require(Fixtures.section("pipeline")[key])
        let processor = try CLIPImageProcessor(directory: Fixtures.config(config))
        let image = try Self.image(name)
        if meta["error"] != nil {
            // transformers: "height and width must be > 0" (a computed side of 0).
            #expect(throws: ImageError.self) { try processor.preprocess(image) }
            do { _ = try processor.preprocess(image) } catch let error as ImageError {
                guard case .invalidSize = error else { Issue.record("unexpected \(error)"); return }
            }
            return
        }
        let out = try processor.preprocess(image)
        #expect(out.shape == meta["shape"] as? [Int], "\(key) shape")
        // The batch path (written straight into the output when the size is fixed) gives the same values.
        #expect(try processor.preprocess([image]) == out, "\(key) batch path")
        if let resized = Fixtures.pipeline["\(key)/resized"] {
            let mine = try processor.resized(image)
            let mismatch = Mismatch.check("\(key) resized", mine.pixels, resized.uint8)
            #expect(mismatch == nil, "\(mismatch?.description ?? "")")
        }
        if let hw = meta["resized_hw"] as? [Int] {
            let size = try processor.resizedSize(height: image.height, width: image.width)
            #expect([size.height, size.width] == hw, "\(key) resized size")
        }
        let expected = try #require(try Self.expectedValues(config: config, key: key), "no reference for \(key)")
        // Measured noise floor: 0 (the same float32 operations in the same order as numpy).
        let mismatch = Mismatch.check("\(key) pixel_values", out.values, expected, tolerance: 0)
        #expect(mismatch == nil, "\(mismatch?.description ?? "")")
    }

    @Test func batchEqualsTheStackedSingles() throws {
        let meta = try #require(Fixtures.section("pipeline")["clip_small/batch"])
        let names = try #require(meta["images"] as? [String])
        let processor = try CLIPImageProcessor(directory: Fixtures.config("clip_small"))
        let batch = try processor.preprocess(names.map(Self.image))
        #expect(batch.shape == meta["shape"] as? [Int])
        let expected = try names.flatMap { try #require(Fixtures.pipeline["clip_small/\($0)/pixel_values"]).float32 }
        #expect(Mismatch.check("clip_small batch", batch.values, expected, tolerance: 0) == nil)
        #expect(Array(batch.image(at: 1)) == Array(try processor.preprocess(Self.image(names[1])).values))

        let fromFiles = try processor.preprocess(contentsOf: names.map { Fixtures.source("\($0).png") })
        #expect(fromFiles == batch)
        let each = processor.preprocessEach(contentsOf: [Fixtures.source("sq64.png"), Fixtures.bad("empty.png")])
        #expect(try each[0].get().values == Array(batch.image(at: 0)))
        #expect(throws: ImageError.emptyFile(file: "empty.png")) { try each[1].get() }
    }

    @Test func differentSizesCannotBeBatched() throws {
        let processor = try CLIPImageProcessor(directory: Fixtures.config("bilinear_hw"))
        let same = try processor.preprocess([Self.image("sq64"), Self.image("p300x7")])
        #expect(same.shape == [2, 3, 20, 28])
        let free = try CLIPImageProcessor(directory: Fixtures.config("longest_edge"))
        #expect(throws: ImageError.batchShapeMismatch(index: 1, expected: [3, 19, 30], actual: [3, 30, 19])) {
            try free.preprocess([Self.image("land97x61"), Self.image("port61x97")])
        }
    }

    /// The default processor is the real AltCLIP config.
    @Test func defaultsAreCLIPs() throws {
        let fromFolder = try CLIPImageProcessorConfig(directory: Fixtures.config("clip"))
        #expect(fromFolder == CLIPImageProcessorConfig())
        let photo = try Self.image("photo160x120")
        #expect(try CLIPImageProcessor().preprocess(photo) == CLIPImageProcessor(directory: Fixtures.config("clip")).preprocess(photo))
    }
}
