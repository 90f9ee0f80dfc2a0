import AltCLIPImage
import Foundation

/// An image as the processor accepts it.
public enum ImageInput: Sendable {
    /// A file on disk (JPEG, PNG, WebP, GIF or BMP).
    case file(URL)
    /// Encoded bytes held in memory; `name` labels errors.
    case encoded(Data, name: String)
    /// Pixels the caller decoded already.
    case rgb(RGBImage)

    /// A short label for messages and output files.
    public var name: String {
        switch self {
        case let .file(url): return url.path
        case let .encoded(_, name): return name
        case let .rgb(image): return "<\(image.width)x\(image.height) RGB buffer>"
        }
    }

    /// Decodes to 8-bit RGB.
    public func decoded(options: DecodeOptions = .processor) throws -> RGBImage {
        switch self {
        case let .file(url): return try ImageDecoder.decode(contentsOf: url, options: options)
        case let .encoded(data, name): return try ImageDecoder.decode(data: data, name: name, options: options)
        case let .rgb(image): return image
        }
    }
}
