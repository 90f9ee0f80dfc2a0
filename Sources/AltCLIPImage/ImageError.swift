import Foundation

/// Everything that can go wrong while decoding an image, reading a processor config or preprocessing.
///
/// Decoding errors name the file (the last path component, or the `name` given with in-memory data) so a
/// batch tool can report which input failed.
public enum ImageError: Error, Equatable, Sendable {
    /// The file could not be read from disk.
    case unreadableFile(file: String, reason: String)
    /// The file holds no bytes at all.
    case emptyFile(file: String)
    /// The bytes are not an image format this library or Pillow recognizes (`leadingBytes` in hex).
    case unrecognizedFormat(file: String, leadingBytes: String)
    /// The file is an image format that is recognized but not decoded here (TIFF, AVIF, JPEG 2000, ...).
    case unsupportedFormat(file: String, format: String)
    /// The format is supported but this particular variant is not (12-bit JPEG, a BMP bitfield layout, ...).
    case unsupportedVariant(file: String, format: String, detail: String)
    /// The codec rejected the data.
    case corruptData(file: String, format: String, reason: String)
    /// The data ends before the image does.
    case truncated(file: String, format: String)
    /// The header declares a zero or negative width or height.
    case invalidDimensions(file: String, width: Int, height: Int)
    /// The header declares more pixels than the configured limit (a likely decompression bomb).
    case tooManyPixels(file: String, width: Int, height: Int, limit: Int)
    /// A raw pixel buffer does not hold `width × height × channels` bytes, or its dimensions are not positive.
    case invalidBuffer(width: Int, height: Int, channels: Int, byteCount: Int)
    /// A resize target or crop size is not positive.
    case invalidSize(width: Int, height: Int)
    /// The processed output (resized, cropped) would have more pixels than the limit.
    case outputTooLarge(width: Int, height: Int, limit: Int)
    /// The model folder holds neither `processor_config.json` with an `image_processor` entry nor
    /// `preprocessor_config.json`.
    case missingProcessorConfig(directory: String)
    /// A processor config file is not valid JSON or not a JSON object.
    case malformedConfig(file: String, reason: String)
    /// A processor config key holds an unusable value.
    case invalidConfigValue(file: String, key: String, expected: String, actual: String)
    /// Images of one batch end up with different shapes, so they cannot be stacked.
    case batchShapeMismatch(index: Int, expected: [Int], actual: [Int])
}

extension ImageError: LocalizedError, CustomStringConvertible {
    public var description: String {
        switch self {
        case .outputTooLarge(let width, let height, let limit):
            return "the processed image would be \(width) x \(height) pixels, more than the limit of \(limit); "
                + "the preprocessor config resizes without cropping"
        case .unreadableFile(let file, let reason):
            return "\(file): cannot be read (\(reason))"
        case .emptyFile(let file):
            return "\(file): the file is empty"
        case .unrecognizedFormat(let file, let leadingBytes):
            return "\(file): not a recognized image (starts with \(leadingBytes))"
        case .unsupportedFormat(let file, let format):
            return "\(file): \(format) images are not supported (JPEG, PNG, WebP, GIF and BMP are)"
        case .unsupportedVariant(let file, let format, let detail):
            return "\(file): unsupported \(format) variant: \(detail)"
        case .corruptData(let file, let format, let reason):
            return "\(file): corrupt \(format) data: \(reason)"
        case .truncated(let file, let format):
            return "\(file): \(format) data is truncated"
        case .invalidDimensions(let file, let width, let height):
            return "\(file): invalid image dimensions \(width)×\(height)"
        case .tooManyPixels(let file, let width, let height, let limit):
            return "\(file): \(width)×\(height) = \(width * height) pixels exceeds the limit of \(limit) "
                + "(possible decompression bomb; raise DecodeOptions.maxPixels to allow it)"
        case .invalidBuffer(let width, let height, let channels, let byteCount):
            return "raw buffer of \(byteCount) bytes does not hold \(width)×\(height)×\(channels) pixels"
        case .invalidSize(let width, let height):
            return "invalid target size \(width)×\(height): both sides must be positive"
        case .missingProcessorConfig(let directory):
            return "no preprocessor_config.json (or processor_config.json with an image_processor entry) in \(directory)"
        case .malformedConfig(let file, let reason):
            return "\(file): malformed processor config: \(reason)"
        case .invalidConfigValue(let file, let key, let expected, let actual):
            return "\(file): '\(key)' should be \(expected), found \(actual)"
        case .batchShapeMismatch(let index, let expected, let actual):
            return "image \(index) has shape \(actual) but the batch has \(expected); "
                + "use center cropping or a fixed {height, width} size to batch images of different sizes"
        }
    }

    public var errorDescription: String? { description }
}
