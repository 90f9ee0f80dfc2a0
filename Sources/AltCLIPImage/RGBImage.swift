/// An 8-bit RGB image in row-major HWC order: the pixel at column `x`, row `y` starts at byte
/// `(y * width + x) * 3`. This is what Pillow hands to the processor after `convert("RGB")`.
public struct RGBImage: Sendable, Equatable {
    /// Width in pixels (at least 1).
    public let width: Int
    /// Height in pixels (at least 1).
    public let height: Int
    /// `width * height * 3` bytes, R G B per pixel, rows top to bottom.
    public let pixels: [UInt8]

    /// Wraps an existing HWC RGB buffer.
    /// - Throws: ``ImageError/invalidBuffer(width:height:channels:byteCount:)`` when a side is not
    ///   positive or `pixels.count != width * height * 3`.
    public init(width: Int, height: Int, pixels: [UInt8]) throws {
        guard width > 0, height > 0, width.multipliedReportingOverflow(by: height).overflow == false,
              pixels.count == width * height * 3
        else {
            throw ImageError.invalidBuffer(width: width, height: height, channels: 3, byteCount: pixels.count)
        }
        self.width = width
        self.height = height
        self.pixels = pixels
    }

    /// For code in this module that has already checked the sizes.
    init(uncheckedWidth width: Int, height: Int, pixels: [UInt8]) {
        self.width = width
        self.height = height
        self.pixels = pixels
    }
}
