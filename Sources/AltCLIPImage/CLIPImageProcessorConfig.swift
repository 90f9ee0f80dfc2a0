import AltCLIPJSON
import AltCLIPSupport
import Foundation

/// The image-processor settings of a model folder (`preprocessor_config.json`, or the `image_processor`
/// entry of `processor_config.json`), with transformers 5.24 `CLIPImageProcessor` defaults for absent keys.
public struct CLIPImageProcessorConfig: Sendable, Equatable {
    /// The `size` entry after transformers' `get_size_dict` normalization.
    public enum Size: Sendable, Equatable {
        /// `{"shortest_edge": s}`: short side becomes `s`, long side `int(s * long / short)`.
        case shortestEdge(Int)
        /// `{"shortest_edge": s, "longest_edge": l}`: `get_size_with_aspect_ratio`.
        case shortestAndLongestEdge(shortest: Int, longest: Int)
        /// `{"max_height": h, "max_width": w}`: scale so both fit, keeping the aspect ratio.
        case maxHeightWidth(maxHeight: Int, maxWidth: Int)
        /// `{"height": h, "width": w}`: exact size.
        case heightWidth(height: Int, width: Int)
    }

    /// `do_resize`: resize with Pillow before cropping.
    public var doResize: Bool = true
    /// `size`; `nil` only when `doResize` is false and the file gave no usable size.
    public var size: Size? = .shortestEdge(224)
    /// `resample`: the Pillow filter code.
    public var resample: ResamplingFilter = .bicubic
    /// `do_center_crop`.
    public var doCenterCrop: Bool = true
    /// `crop_size` as `(height, width)`; a crop larger than the image pads with zeros (before normalization).
    public var cropSize: (height: Int, width: Int)? = (224, 224)
    /// `do_rescale`: multiply by `rescaleFactor` (in float64, then cast to float32).
    public var doRescale: Bool = true
    /// `rescale_factor`.
    public var rescaleFactor: Double = 1.0 / 255.0
    /// `do_normalize`: `(x − mean) / std` per channel, in float32.
    public var doNormalize: Bool = true
    /// `image_mean` (a single number in the file is used for all three channels).
    public var imageMean: [Double] = [0.48145466, 0.4578275, 0.40821073]
    /// `image_std` (a single number in the file is used for all three channels).
    public var imageStd: [Double] = [0.26862954, 0.26130258, 0.27577711]
    /// `do_convert_rgb`: accepted for completeness; ``RGBImage`` inputs are RGB already.
    public var doConvertRgb: Bool = true
    /// `do_pad`: pad each image to `padSize` after normalization.
    public var doPad: Bool = false
    /// `(height, width)` each image is padded to (bottom/right, zeros after normalization).
    public var padSize: (height: Int, width: Int)?

    /// transformers' CLIP defaults (`shortest_edge` 224, bicubic, centre crop 224, OpenAI CLIP mean/std).
    public init() {}

    public static func == (lhs: Self, rhs: Self) -> Bool {
        lhs.doResize == rhs.doResize && lhs.size == rhs.size && lhs.resample == rhs.resample
            && lhs.doCenterCrop == rhs.doCenterCrop && lhs.cropSize?.height == rhs.cropSize?.height
            && lhs.cropSize?.width == rhs.cropSize?.width && lhs.doRescale == rhs.doRescale
            && lhs.rescaleFactor == rhs.rescaleFactor && lhs.doNormalize == rhs.doNormalize
            && lhs.imageMean == rhs.imageMean && lhs.imageStd == rhs.imageStd
            && lhs.doConvertRgb == rhs.doConvertRgb && lhs.doPad == rhs.doPad
            && lhs.padSize?.height == rhs.padSize?.height && lhs.padSize?.width == rhs.padSize?.width
    }

    /// Reads the config of a model folder the way `ImageProcessingMixin.get_image_processor_dict` does:
    /// an `image_processor` object inside `processor_config.json` wins over `preprocessor_config.json`.
    public init(directory: URL) throws {
        let nested = directory.appendingPathComponent(ModelFolderFiles.processorConfig)
        if FileManager.default.fileExists(atPath: nested.path) {
            let object = try Self.jsonObject(at: nested)
            if let inner = object["image_processor"], inner != .null {
                guard let dictionary = inner.objectValue else {
                    throw ImageError.invalidConfigValue(
                        file: ModelFolderFiles.processorConfig, key: "image_processor", expected: "an object",
                        actual: inner.description)
                }
                try self.init(dictionary: dictionary, file: ModelFolderFiles.processorConfig)
                return
            }
        }
        let flat = directory.appendingPathComponent(ModelFolderFiles.imageProcessorConfig)
        guard FileManager.default.fileExists(atPath: flat.path) else {
            throw ImageError.missingProcessorConfig(directory: directory.path)
        }
        try self.init(dictionary: try Self.jsonObject(at: flat), file: ModelFolderFiles.imageProcessorConfig)
    }

    /// Parses the JSON text of a `preprocessor_config.json`-style object.
    public init(jsonData: Data, file: String = ModelFolderFiles.imageProcessorConfig) throws {
        try self.init(dictionary: try Self.jsonObject(jsonData, file: file), file: file)
    }

    static func jsonObject(at url: URL) throws -> [String: JSONValue] {
        let data: Data
        do {
            data = try InputFile.read(url.path, maxBytes: 64 << 20)
        } catch {
            throw ImageError.unreadableFile(file: url.lastPathComponent, reason: error.reason)
        }
        return try jsonObject(data, file: url.lastPathComponent)
    }

    static func jsonObject(_ data: Data, file: String) throws -> [String: JSONValue] {
        let parsed: JSONValue
        do {
            parsed = try JSONReader.parse(data)
        } catch let error as JSONError {
            throw ImageError.malformedConfig(file: file, reason: error.description)
        }
        guard let object = parsed.objectValue else {
            throw ImageError.malformedConfig(file: file, reason: "the top level is not a JSON object")
        }
        return object
    }
}
