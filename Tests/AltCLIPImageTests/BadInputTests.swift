import Foundation
import Testing
@testable import AltCLIPImage

/// Every bad input gives its own error naming the file; none crashes.
@Suite struct BadInputTests {
    static let limit = DecodeOptions.pillowMaxImagePixels

    static let expectations: [(String, ImageError)] = [
        ("empty.png", .emptyFile(file: "empty.png")),
        ("text.jpg", .unrecognizedFormat(file: "text.jpg", leadingBytes: "54 68 69 73 20 69 73 20")),
        ("truncated.jpg", .truncated(file: "truncated.jpg", format: "JPEG")),
        ("truncated.png", .truncated(file: "truncated.png", format: "PNG")),
        ("truncated.gif", .truncated(file: "truncated.gif", format: "GIF")),
        ("truncated.webp", .truncated(file: "truncated.webp", format: "WebP")),
        ("truncated.bmp", .truncated(file: "truncated.bmp", format: "BMP")),
        ("unsupported.tif", .unsupportedFormat(file: "unsupported.tif", format: "TIFF")),
        ("bomb.png", .tooManyPixels(file: "bomb.png", width: 100_000, height: 100_000, limit: limit)),
        ("bomb.gif", .tooManyPixels(file: "bomb.gif", width: 65535, height: 65535, limit: limit)),
    ]

    @Test(arguments: expectations.map(\.0))
    func specificError(_ name: String) throws {
        let expected = try #require(Self.expectations.first { $0.0 == name }?.1)
        #expect(throws: expected) { try ImageDecoder.decode(contentsOf: Fixtures.bad(name)) }
        #expect(expected.description.contains(name))
    }

    /// A broken IHDR (bad CRC, zero width) is corrupt data, as Pillow refuses to identify it.
    @Test(arguments: ["broken_header.png", "zero_width.png"])
    func corruptPNGHeader(_ name: String) throws {
        do {
            _ = try ImageDecoder.decode(contentsOf: Fixtures.bad(name))
            Issue.record("\(name) decoded")
        } catch let error as ImageError {
            guard case .corruptData(let file, let format, let reason) = error else {
                Issue.record("unexpected \(error)")
                return
            }
            #expect(file == name && format == "PNG" && !reason.isEmpty)
            #expect(error.description.hasPrefix(name))
        }
    }

    @Test func missingFile() {
        #expect(throws: ImageError.self) { try ImageDecoder.decode(contentsOf: Fixtures.bad("no-such-file.png")) }
        do { _ = try ImageDecoder.decode(contentsOf: Fixtures.bad("no-such-file.png")) } catch let error as ImageError {
            guard case .unreadableFile(let file, _) = error else { Issue.record("unexpected \(error)"); return }
            #expect(file == "no-such-file.png")
        } catch { Issue.record("unexpected \(error)") }
    }

    /// The pixel limit is configurable and checked before decoding.
    @Test func configurablePixelLimit() throws {
        let url = Fixtures.source("sq64.png")
        #expect(throws: ImageError.tooManyPixels(file: "sq64.png", width: 64, height: 64, limit: 4095)) {
            try ImageDecoder.decode(contentsOf: url, options: DecodeOptions(maxPixels: 4095))
        }
        #expect(try ImageDecoder.decode(contentsOf: url, options: DecodeOptions(maxPixels: 4096)).width == 64)
        for name in ["jpeg_photo.jpg", "webp_lossless.webp", "gif_p.gif", "bmp_24.bmp"] {
            #expect(throws: ImageError.self) {
                try ImageDecoder.decode(contentsOf: Fixtures.source(name), options: DecodeOptions(maxPixels: 10))
            }
        }
    }

    /// Hand-damaged variants of good files reach each decoder's own error paths.
    @Test func damagedVariants() throws {
        func check(_ name: String, _ data: Data, _ matches: (ImageError) -> Bool) {
            do {
                _ = try ImageDecoder.decode(data: data, name: name)
                Issue.record("\(name) decoded")
            } catch let error as ImageError {
                #expect(matches(error), "\(name): \(error)")
                #expect(error.description.contains(name))
            } catch { Issue.record("\(name): \(error)") }
        }
        let bmp = try Data(contentsOf: Fixtures.source("bmp_24.bmp"))
        var jpegCompressed = bmp
        jpegCompressed[30] = 4  // BI_JPEG
        check("bmp_jpeg.bmp", jpegCompressed) { if case .unsupportedVariant(_, "BMP", _) = $0 { true } else { false } }
        var depth2 = bmp
        depth2[28] = 2
        check("bmp_2bit.bmp", depth2) { if case .unsupportedVariant(_, "BMP", _) = $0 { true } else { false } }
        var header = bmp
        header[14] = 99
        check("bmp_header.bmp", header) { if case .unsupportedVariant(_, "BMP", _) = $0 { true } else { false } }

        let noImage = Data("GIF89a".utf8) + Data([4, 0, 4, 0, 0, 0, 0, 0x3B])
        check("empty.gif", noImage) { if case .corruptData(_, "GIF", _) = $0 { true } else { false } }

        var webp = try Data(contentsOf: Fixtures.source("webp_lossy.webp"))
        for i in 20..<min(60, webp.count) { webp[i] = 0xA5 }
        check("garbage.webp", webp) { if case .corruptData(_, "WebP", _) = $0 { true } else { false } }

        var jpeg = try Data(contentsOf: Fixtures.source("jpeg_baseline.jpg"))
        if let sof = (2..<(jpeg.count - 10)).first(where: { jpeg[$0] == 0xFF && jpeg[$0 + 1] == 0xC0 }) {
            jpeg[sof + 9] = 2  // two colour components: Pillow "cannot handle 2-layer images"
            check("two_layers.jpg", jpeg) { error in
                switch error {
                case .unsupportedVariant(_, "JPEG", _), .corruptData(_, "JPEG", _): return true
                default: return false
                }
            }
        } else {
            Issue.record("no SOF0 in jpeg_baseline.jpg")
        }
        var heic = Data(count: 32)
        heic.replaceSubrange(4..<12, with: Data("ftypheic".utf8))
        check("photo.heic", heic) { $0 == .unsupportedFormat(file: "photo.heic", format: "HEIF") }
    }

    /// A wrong CRC on the image data does not stop Pillow, nor us.
    @Test func idatCRCIsIgnoredLikePillow() throws {
        let good = try ImageDecoder.decode(contentsOf: Fixtures.source("png_rgb8.png"))
        let bad = try ImageDecoder.decode(contentsOf: Fixtures.source("png_idat_badcrc.png"))
        #expect(good == bad)
    }

    @Test func invalidRawBuffers() {
        #expect(throws: ImageError.invalidBuffer(width: 2, height: 2, channels: 3, byteCount: 11)) {
            try ImageDecoder.fromRaw(rgb: [UInt8](repeating: 0, count: 11), width: 2, height: 2)
        }
        #expect(throws: ImageError.invalidBuffer(width: 0, height: 2, channels: 4, byteCount: 0)) {
            try ImageDecoder.fromRaw(rgba: [], width: 0, height: 2)
        }
        #expect(throws: ImageError.invalidBuffer(width: -1, height: -1, channels: 3, byteCount: 3)) {
            try RGBImage(width: -1, height: -1, pixels: [1, 2, 3])
        }
        #expect(throws: ImageError.self) { try PixelValues(shape: [1, 3, 2], values: [0]) }
    }
}
