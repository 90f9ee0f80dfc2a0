import Foundation
import Testing
@testable import AltCLIPImage

/// Decoded RGB8 against what Pillow 13 + transformers' `convert_to_rgb` hand the processor.
@Suite struct DecodeTests {
    static let sources = Fixtures.section("sources").keys.sorted()
    static let exifSources = Fixtures.section("exif_sources").keys.sorted()

    @Test func fixturesArePresent() {
        #expect(Self.sources.count >= 50)
        #expect(Self.exifSources.count >= 10)
        #expect(Fixtures.decoded.tensors.count >= 70)
    }

    /// Lossless formats must match exactly; JPEG and WebP lossy may differ by one level because Pillow's
    /// wheel bundles libjpeg-turbo 3.2 / libwebp 1.6 while Debian has 2.1 / 1.2.
    @Test(arguments: sources)
    func decodesLikePillow(_ name: String) throws {
        let meta = try #require(Fixtures.section("sources")[name])
        let exact = meta["exact"] as? Bool ?? true
        let expected = try #require(Fixtures.decoded[name], "no reference for \(name)")
        let image = try ImageDecoder.decode(contentsOf: Fixtures.source(name))
        #expect([image.height, image.width, 3] == expected.shape, "\(name) shape")
        let mismatch = Mismatch.check("decoded \(name)", image.pixels, expected.uint8, tolerance: exact ? 0 : 1)
        #expect(mismatch == nil, "\(mismatch?.description ?? "")")
    }

    /// `DecodeOptions.loadImage` reproduces `transformers.image_utils.load_image` (EXIF/XMP orientation,
    /// then `convert("RGB")`); the default ignores orientation like a bare `Image.open`.
    @Test(arguments: exifSources)
    func orientation(_ name: String) throws {
        let upright = try #require(Fixtures.decoded["load_image/\(name)"])
        let image = try ImageDecoder.decode(contentsOf: Fixtures.source(name), options: .loadImage)
        #expect([image.height, image.width, 3] == upright.shape, "\(name) shape")
        let lossy = name.hasSuffix(".jpg")
        let mismatch = Mismatch.check("load_image \(name)", image.pixels, upright.uint8, tolerance: lossy ? 1 : 0)
        #expect(mismatch == nil, "\(mismatch?.description ?? "")")

        let stored = try #require(Fixtures.decoded["open/\(name)"])
        let plain = try ImageDecoder.decode(contentsOf: Fixtures.source(name))
        #expect([plain.height, plain.width, 3] == stored.shape)
        let plainMismatch = Mismatch.check("open \(name)", plain.pixels, stored.uint8, tolerance: lossy ? 1 : 0)
        #expect(plainMismatch == nil, "\(plainMismatch?.description ?? "")")
    }

    /// `AlphaHandling.discard` is Pillow's plain `convert("RGB")`.
    @Test(arguments: ["png_rgba8.png", "png_p8_trnsn.png", "gif_p_trns.gif", "webp_alpha_lossless.webp"])
    func discardAlpha(_ name: String) throws {
        let expected = try #require(Fixtures.decoded["discard/\(name)"])
        let image = try ImageDecoder.decode(contentsOf: Fixtures.source(name), options: DecodeOptions(alpha: .discard))
        let mismatch = Mismatch.check("discard \(name)", image.pixels, expected.uint8)
        #expect(mismatch == nil, "\(mismatch?.description ?? "")")
    }

    @Test func decodesFromMemoryAndInParallel() throws {
        let names = ["png_rgb8.png", "bmp_8.bmp", "gif_p.gif", "webp_lossless.webp"]
        let urls = names.map(Fixtures.source) + [Fixtures.bad("text.jpg")]
        let results = ImageDecoder.decode(contentsOf: urls)
        #expect(results.count == 5)
        for (i, name) in names.enumerated() {
            let data = try Data(contentsOf: Fixtures.source(name))
            let fromMemory = try ImageDecoder.decode(data: data, name: name)
            #expect(try results[i].get() == fromMemory)
        }
        #expect(throws: ImageError.unrecognizedFormat(file: "text.jpg", leadingBytes: "54 68 69 73 20 69 73 20")) {
            try results[4].get()
        }
    }

    /// transformers' `convert_to_rgb` on an RGBA array: `round(c·a + 255·(1−a))` over all 65,536 pairs,
    /// checked against the closed form (the fixture PNGs check it against Pillow itself).
    @Test func rawRGBAComposite() throws {
        var rgba = [UInt8]()
        for c in 0..<256 { for a in 0..<256 { rgba += [UInt8(c), UInt8(c), UInt8(c), UInt8(a)] } }
        let image = try ImageDecoder.fromRaw(rgba: rgba, width: 256, height: 256)
        for c in 0..<256 {
            for a in 0..<256 {
                let expected = UInt8((Double(c * a + 255 * (255 - a)) / 255).rounded())
                let v = image.pixels[(c * 256 + a) * 3]
                guard v == expected else {
                    Issue.record("c=\(c) a=\(a): \(v) != \(expected)")
                    return
                }
            }
        }
        let dropped = try ImageDecoder.fromRaw(rgba: [10, 20, 30, 0], width: 1, height: 1, alpha: .discard)
        #expect(dropped.pixels == [10, 20, 30])
        let rgb = try ImageDecoder.fromRaw(rgb: [1, 2, 3, 4, 5, 6], width: 2, height: 1)
        #expect(rgb.pixels == [1, 2, 3, 4, 5, 6])
    }
}
