import Foundation
import Testing
@testable import AltCLIPImage

/// `ImageResampler` against `PIL.Image.resize` (Pillow 13.0.0), bit for bit, for every filter and
/// every shape class: both sides down, both up, mixed, one side unchanged (one pass skipped), the
/// vertical-first rule on both sides of its threshold, and 1×1.
@Suite struct ResizeTests {
    static let filters: [(String, ResamplingFilter)] = [
        ("nearest", .nearest), ("lanczos", .lanczos), ("bilinear", .bilinear), ("bicubic", .bicubic),
        ("box", .box), ("hamming", .hamming), ("mks2013", .mks2013), ("mks2021", .mks2021),
    ]
    static let targets = [(16, 16), (50, 40), (20, 45), (37, 10), (11, 29), (30, 6), (33, 20), (1, 1)]

    static let cases: [String] = filters.flatMap { filter in
        targets.map { "resize_source/\(filter.0)/\($0.0)x\($0.1)" } + ["resize_tall/\(filter.0)/5x100"]
    }

    static let sourceImages: [String: RGBImage] = {
        var images: [String: RGBImage] = [:]
        for name in ["resize_source", "resize_tall"] {
            images[name] = try? ImageDecoder.decode(contentsOf: Fixtures.source("\(name).png"))
        }
        return images
    }()

    @Test func caseListMatchesTheFixture() {
        #expect(Fixtures.resize.tensors.count == Self.cases.count)
        // The vertical-first classes must really be exercised (Pillow 13 rule).
        let meta = (Fixtures.manifest["resize"] as? [String: Any])?["cases"] as? [String: [String: Bool]] ?? [:]
        #expect(meta["resize_source/bicubic/30x6"]?["vertical_first"] == true)
        #expect(meta["resize_source/bicubic/33x20"]?["vertical_first"] == true)
        #expect(meta["resize_source/bicubic/16x16"]?["vertical_first"] == false)
    }

    @Test(arguments: cases)
    func matchesPillow(_ key: String) throws {
        let parts = key.split(separator: "/").map(String.init)
        let filter = try #require(Self.filters.first { $0.0 == parts[1] }?.1)
        let size = parts[2].split(separator: "x").compactMap { Int($0) }
        let source = try #require(Self.sourceImages[parts[0]])
        let expected = try #require(Fixtures.resize[key])
        let out = try ImageResampler.resize(source, width: size[0], height: size[1], filter: filter)
        #expect([out.height, out.width, 3] == expected.shape)
        let mismatch = Mismatch.check(key, out.pixels, expected.uint8)
        #expect(mismatch == nil, "\(mismatch?.description ?? "")")
    }

    @Test func sameSizeIsACopyAndBadSizesThrow() throws {
        let source = try #require(Self.sourceImages["resize_source"])
        #expect(try ImageResampler.resize(source, width: source.width, height: source.height, filter: .lanczos) == source)
        #expect(throws: ImageError.invalidSize(width: 0, height: 5)) {
            try ImageResampler.resize(source, width: 0, height: 5, filter: .bicubic)
        }
        #expect(throws: ImageError.invalidSize(width: 3, height: -1)) {
            try ImageResampler.resize(source, width: 3, height: -1, filter: .nearest)
        }
    }

    /// The row-parallel path must give the same bytes as the serial one.
    @Test func parallelEqualsSerial() throws {
        let big = try RGBImage(width: 160, height: 120, pixels: (0..<(160 * 120 * 3)).map { UInt8(truncatingIfNeeded: $0 &* 2_654_435_761 >> 13) })
        for filter in [ResamplingFilter.bicubic, .nearest, .lanczos] {
            let a = ImageResampler.resized(big, width: 74, height: 56, filter: filter, parallel: true)
            let b = ImageResampler.resized(big, width: 74, height: 56, filter: filter, parallel: false)
            #expect(a == b, "\(filter)")
        }
    }
}
