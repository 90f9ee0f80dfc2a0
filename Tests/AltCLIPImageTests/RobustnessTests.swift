import Foundation
import Testing
@testable import AltCLIPImage

/// Damaged files never crash a decoder: each truncation / byte flip either decodes or throws an
/// `ImageError` naming the file.
@Suite struct RobustnessTests {
    static let files = [
        "jpeg_baseline.jpg", "jpeg_progressive.jpg", "jpeg_cmyk.jpg", "png_rgb8_interlaced.png", "png_p8_trnsn.png",
        "png_gray16.png", "webp_lossy.webp", "webp_alpha_lossless.webp", "gif_offset_trns.gif", "gif_interlaced.gif",
        "bmp_rle8.bmp", "bmp_rle4.bmp", "bmp_32_bitfields_alpha.bmp", "bmp_24_core.bmp", "exif_jpeg_o6.jpg",
    ]

    @Test(arguments: files)
    func damagedCopiesFailCleanly(_ name: String) throws {
        let original = try Data(contentsOf: Fixtures.source(name))
        var generator = SplitMix(seed: UInt64(original.count))
        var variants: [Data] = []
        for cut in [1, 2, 7, 13, 26, 54, original.count / 3, original.count / 2, original.count - 1] where cut < original.count {
            variants.append(original.prefix(cut))
        }
        for _ in 0..<24 {
            var copy = original
            for _ in 0..<(1 + generator.next(0...3)) {
                copy[generator.next(0...(copy.count - 1))] = UInt8(truncatingIfNeeded: generator.nextValue())
            }
            variants.append(copy)
        }
        for (i, data) in variants.enumerated() {
            let label = "\(name)#\(i)"
            do {
                let image = try ImageDecoder.decode(data: data, name: label, options: .loadImage)
                #expect(image.pixels.count == image.width * image.height * 3)
            } catch let error as ImageError {
                #expect(error.description.contains(label), "\(error)")
            }
        }
    }
}
