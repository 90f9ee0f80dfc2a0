import AltCLIPSupport
import Foundation

/// Decodes JPEG, PNG, WebP, GIF (first frame) and BMP files into the 8-bit RGB image Pillow 13 hands to
/// transformers' image processor, through the system codec libraries (libjpeg-turbo, libpng, libwebp,
/// giflib; BMP is parsed here).
///
/// What "the same as Pillow" means per format: CMYK/YCCK JPEGs are read Adobe-inverted and converted
/// without colour management; 16-bit PNG samples keep their high byte (16-bit gray is clamped to 255);
/// palette and colour-key transparency become alpha; GIFs decode their first frame on the logical screen;
/// then ``DecodeOptions/alpha`` removes alpha (composited onto white by default).
public enum ImageDecoder {
    /// The largest image file read (1 GiB; real photos are far smaller, and pixels are capped anyway).
    public static let maxFileBytes = 1 << 30

    /// Reads and decodes the file at `url`. Errors name the file's last path component.
    public static func decode(contentsOf url: URL, options: DecodeOptions = .processor) throws -> RGBImage {
        let name = url.lastPathComponent
        let data: Data
        do {
            // Regular files only: a FIFO or a device given as an image is refused at once, never read.
            data = try InputFile.read(url.path, maxBytes: maxFileBytes)
        } catch {
            throw ImageError.unreadableFile(file: name, reason: error.reason)
        }
        return try decode(data: data, name: name, options: options)
    }

    /// Decodes an in-memory file; `name` is used in error messages.
    public static func decode(data: Data, name: String, options: DecodeOptions = .processor) throws -> RGBImage {
        guard !data.isEmpty else { throw ImageError.emptyFile(file: name) }
        let decoded: DecodedImage = try data.withUnsafeBytes { raw in
            guard let format = ImageFormat.sniff(raw) else {
                let head = raw.prefix(8).map { String(format: "%02x", $0) }.joined(separator: " ")
                throw ImageError.unrecognizedFormat(file: name, leadingBytes: head)
            }
            let context = DecodeContext(name: name, format: format, options: options)
            switch format {
            case .jpeg: return try JPEGDecoder.decode(raw, context)
            case .png: return try PNGDecoder.decode(raw, context)
            case .webp: return try WebPDecoder.decode(raw, context)
            case .gif: return try GIFDecoder.decode(raw, context)
            case .bmp: return try BMPDecoder.decode(raw, context)
            case .unsupported(let formatName): throw ImageError.unsupportedFormat(file: name, format: formatName)
            }
        }
        return decoded.rgb(alpha: options.alpha)
    }

    /// Decodes many files on all cores; one result per URL, in order, so one bad file does not stop
    /// the batch.
    public static func decode(
        contentsOf urls: [URL], options: DecodeOptions = .processor
    ) -> [Result<RGBImage, ImageError>] {
        let results = ResultSlots<RGBImage>(count: urls.count)
        ThreadBudget.forEach(iterations: urls.count) { i in
            results.set(i, Result { try decode(contentsOf: urls[i], options: options) }.mapError(Self.imageError))
        }
        return results.values
    }

    /// Wraps an RGB buffer decoded elsewhere (HWC, 3 bytes per pixel).
    public static func fromRaw(rgb: [UInt8], width: Int, height: Int) throws -> RGBImage {
        try RGBImage(width: width, height: height, pixels: rgb)
    }

    /// Converts an RGBA buffer decoded elsewhere (HWC, 4 bytes per pixel, straight alpha) the way
    /// transformers' `convert_to_rgb` treats an RGBA image (or drops alpha with ``DecodeOptions/AlphaHandling/discard``).
    public static func fromRaw(
        rgba: [UInt8], width: Int, height: Int, alpha: DecodeOptions.AlphaHandling = .compositeOnWhite
    ) throws -> RGBImage {
        guard width > 0, height > 0, !width.multipliedReportingOverflow(by: height).overflow,
              rgba.count == width * height * 4
        else {
            throw ImageError.invalidBuffer(width: width, height: height, channels: 4, byteCount: rgba.count)
        }
        return DecodedImage(width: width, height: height, channels: 4, samples: rgba).rgb(alpha: alpha)
    }

    static func imageError(_ error: Error) -> ImageError {
        if let error = error as? ImageError { return error }
        return .unreadableFile(file: "?", reason: String(describing: error))
    }
}

/// Per-call facts every format decoder needs.
struct DecodeContext {
    let name: String
    let format: ImageFormat
    let options: DecodeOptions

    /// Refuses empty or absurd dimensions before any pixel memory is allocated.
    func checkDimensions(width: Int, height: Int) throws {
        guard width > 0, height > 0 else {
            throw ImageError.invalidDimensions(file: name, width: width, height: height)
        }
        let pixels = width.multipliedReportingOverflow(by: height)
        guard !pixels.overflow, pixels.partialValue <= options.maxPixels else {
            throw ImageError.tooManyPixels(file: name, width: width, height: height, limit: options.maxPixels)
        }
    }

    func corrupt(_ reason: String) -> ImageError { .corruptData(file: name, format: format.name, reason: reason) }
    func truncated() -> ImageError { .truncated(file: name, format: format.name) }
    func unsupported(_ detail: String) -> ImageError {
        .unsupportedVariant(file: name, format: format.name, detail: detail)
    }
}

/// Result storage written from `ThreadBudget.forEach` iterations (each index written once).
final class ResultSlots<Value>: @unchecked Sendable {
    private var storage: [Result<Value, ImageError>?]
    private let lock = NSLock()

    init(count: Int) { storage = Array(repeating: nil, count: count) }

    func set(_ index: Int, _ value: Result<Value, ImageError>) {
        lock.lock()
        storage[index] = value
        lock.unlock()
    }

    var values: [Result<Value, ImageError>] {
        storage.map { $0 ?? .failure(.unreadableFile(file: "?", reason: "not processed")) }
    }
}
