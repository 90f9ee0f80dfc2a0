import Foundation
import Testing
@testable import AltCLIPImage

/// The optimized resampler (blocked transposes, exact float split, crop regions, integer fallback)
/// against a plain scalar transcription of Pillow's algorithm, on many random shapes: every filter,
/// up/down/mixed, extreme downscales (no float split), and sub-regions.
@Suite struct ReferenceResamplerTests {
    /// Pillow's two passes written as plainly as possible (integer sums, one pixel at a time).
    static func reference(_ image: RGBImage, width: Int, height: Int, filter: ResamplingFilter) -> RGBImage {
        if image.width == width && image.height == height { return image }
        func pass(_ src: [UInt8], lines: Int, inSize: Int, outSize: Int, horizontal: Bool, otherSize: Int) -> [UInt8] {
            let c = ResampleCoefficients(inSize: inSize, outSize: outSize, filter: filter)
            var out = [UInt8](repeating: 0, count: lines * outSize * 3)
            for line in 0..<lines {
                for o in 0..<outSize {
                    for ch in 0..<3 {
                        var ss: Int32 = 1 << 21
                        for i in 0..<c.count[o] {
                            let s = c.start[o] + i
                            let index = horizontal ? (line * inSize + s) * 3 + ch : (s * otherSize + line) * 3 + ch
                            ss &+= Int32(src[index]) &* c.weights[o * c.kernelSize + i]
                        }
                        let v = ss >> 22
                        let outIndex = horizontal ? (line * outSize + o) * 3 + ch : (o * otherSize + line) * 3 + ch
                        out[outIndex] = UInt8(max(0, min(255, v)))
                    }
                }
            }
            return out
        }
        func horizontal(_ px: [UInt8], _ w: Int, _ h: Int) -> [UInt8] {
            w == width ? px : pass(px, lines: h, inSize: w, outSize: width, horizontal: true, otherSize: 0)
        }
        func vertical(_ px: [UInt8], _ w: Int, _ h: Int) -> [UInt8] {
            h == height ? px : pass(px, lines: w, inSize: h, outSize: height, horizontal: false, otherSize: w)
        }
        let dh = image.height - height
        let pixels = !(dh > 0 && dh > (image.width - width) * 2)
            ? vertical(horizontal(image.pixels, image.width, image.height), width, image.height)
            : horizontal(vertical(image.pixels, image.width, image.height), image.width, height)
        return RGBImage(uncheckedWidth: width, height: height, pixels: pixels)
    }

    struct Case: CustomStringConvertible, Sendable {
        let inWidth, inHeight, outWidth, outHeight: Int
        let filter: ResamplingFilter
        var description: String { "\(inWidth)x\(inHeight)->\(outWidth)x\(outHeight) \(filter)" }
    }

    static let cases: [Case] = {
        var generator = SplitMix(seed: 42)
        var cases: [Case] = []
        for filter in ResamplingFilter.allCases where filter != .nearest {
            for _ in 0..<6 {
                let w = generator.next(1...90), h = generator.next(1...90)
                cases.append(Case(inWidth: w, inHeight: h, outWidth: generator.next(1...120), outHeight: generator.next(1...120), filter: filter))
            }
            // Extreme downscales: no exact float split exists, the integer path runs.
            cases.append(Case(inWidth: 700, inHeight: 9, outWidth: 3, outHeight: 4, filter: filter))
            cases.append(Case(inWidth: 9, inHeight: 700, outWidth: 5, outHeight: 2, filter: filter))
        }
        return cases
    }()

    static func randomImage(width: Int, height: Int, seed: UInt64) -> RGBImage {
        var generator = SplitMix(seed: seed)
        let pixels = (0..<(width * height * 3)).map { _ in UInt8(truncatingIfNeeded: generator.nextValue()) }
        return RGBImage(uncheckedWidth: width, height: height, pixels: pixels)
    }

    @Test(arguments: cases)
    func matchesReference(_ c: Case) {
        let image = Self.randomImage(width: c.inWidth, height: c.inHeight, seed: UInt64(c.inWidth * 1000 + c.inHeight))
        let expected = Self.reference(image, width: c.outWidth, height: c.outHeight, filter: c.filter)
        let full = ImageResampler.resized(image, width: c.outWidth, height: c.outHeight, filter: c.filter, parallel: false)
        #expect(Mismatch.check("\(c) full", full.pixels, expected.pixels) == nil)
        // A centred sub-region must hold exactly the same pixels.
        let rows = (c.outHeight / 4)..<max(c.outHeight / 4 + 1, c.outHeight * 3 / 4)
        let columns = (c.outWidth / 3)..<max(c.outWidth / 3 + 1, c.outWidth - 1)
        let region = ImageResampler.resized(
            image, width: c.outWidth, height: c.outHeight, filter: c.filter, rows: rows, columns: columns, parallel: false)
        let cropped = ImageResampler.crop(expected, rows: rows, columns: columns)
        #expect(Mismatch.check("\(c) region", region.pixels, cropped.pixels) == nil)
    }

    @Test func nearestRegionsAreCropsOfTheFullResize() {
        for (w, h, ow, oh) in [(37, 29, 50, 11), (64, 5, 7, 40), (3, 90, 1, 30)] {
            let image = Self.randomImage(width: w, height: h, seed: UInt64(w * h))
            let full = ImageResampler.resized(image, width: ow, height: oh, filter: .nearest, parallel: false)
            let rows = (oh / 3)..<oh, columns = 0..<(ow / 2 + 1)
            let region = ImageResampler.resized(image, width: ow, height: oh, filter: .nearest, rows: rows, columns: columns, parallel: false)
            #expect(region == ImageResampler.crop(full, rows: rows, columns: columns))
        }
    }

    @Test func extremeDownscalesUseTheIntegerPath() {
        #expect(ResampleCoefficients(inSize: 700, outSize: 3, filter: .bicubic).split == nil)
        #expect(ResampleCoefficients(inSize: 640, outSize: 298, filter: .bicubic).split != nil)
        #expect(ResampleCoefficients(inSize: 4000, outSize: 224, filter: .lanczos).split == nil)
    }
}

/// A small deterministic generator (SplitMix64) so the cases are the same on every run.
struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func nextValue() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    mutating func next(_ range: ClosedRange<Int>) -> Int {
        range.lowerBound + Int(nextValue() % UInt64(range.count))
    }
}
