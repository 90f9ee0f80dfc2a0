import AltCLIPSupport
import Foundation

/// transformers 5.24's PIL-backed `CLIPImageProcessor` (`CLIPImageProcessorPil`, the one AltCLIP uses
/// when torchvision is absent), reproduced exactly: Pillow resize to `uint8`, centre crop with zero
/// padding, `rescale` in float64 then float32, `normalize` in float32, CHW, batched.
public struct CLIPImageProcessor: Sendable {
    /// The settings in use.
    public let config: CLIPImageProcessorConfig
    /// `lookup[c * 256 + v]` is the final value of channel `c` for the 8-bit level `v`.
    let lookup: [Float]

    /// A processor with transformers' CLIP defaults (shortest edge 224, bicubic, centre crop 224×224,
    /// OpenAI CLIP mean/std).
    public init() {
        self.config = CLIPImageProcessorConfig()
        self.lookup = Self.valueTable(config)
    }

    /// A processor with the given settings.
    /// - Throws: ``ImageError/invalidConfigValue(file:key:expected:actual:)`` when a size is missing or
    ///   not positive, or mean/std do not have 3 values.
    public init(config: CLIPImageProcessorConfig) throws {
        try config.validate(file: "configuration")
        self.config = config
        self.lookup = Self.valueTable(config)
    }

    /// Loads `processor_config.json` / `preprocessor_config.json` from a model folder.
    public init(directory: URL) throws {
        try self.init(config: try CLIPImageProcessorConfig(directory: directory))
    }

    /// Preprocesses a batch; every image must end up the same size (true whenever centre cropping or a
    /// `{height, width}` size is configured).
    public func preprocess(_ images: [RGBImage]) throws -> PixelValues {
        if let size = fixedOutputSize {
            return try preprocessFixed(count: images.count, size: size) { images[$0] }
        }
        let prepared = ResultSlots<PreparedImage>(count: images.count)
        let inner = images.count < ThreadBudget.count
        ThreadBudget.forEach(iterations: images.count) { i in
            prepared.set(i, Result { try prepare(images[i], parallel: inner) }.mapError(ImageDecoder.imageError))
        }
        return try stack(prepared.values.map { try $0.get() })
    }

    /// Preprocesses one image into a batch of one.
    public func preprocess(_ image: RGBImage) throws -> PixelValues {
        try stack([prepare(image, parallel: true)])
    }

    /// Decodes and preprocesses files on all cores, failing on the first bad file.
    public func preprocess(contentsOf urls: [URL], options: DecodeOptions = .processor) throws -> PixelValues {
        if let size = fixedOutputSize {
            return try preprocessFixed(count: urls.count, size: size) {
                try ImageDecoder.decode(contentsOf: urls[$0], options: options)
            }
        }
        return try stack(prepareFiles(urls, options: options).map { try $0.get() })
    }

    /// Decodes and preprocesses each file on its own (a batch of one each), so a tool can report the
    /// files that fail and keep the others.
    public func preprocessEach(
        contentsOf urls: [URL], options: DecodeOptions = .processor
    ) -> [Result<PixelValues, ImageError>] {
        prepareFiles(urls, options: options).map { result in
            result.flatMap { prepared in Result { try stack([prepared]) }.mapError(ImageDecoder.imageError) }
        }
    }

    /// The `(height, width)` the resize step produces for an image of the given size (transformers'
    /// `get_resize_output_image_size` & co.), or the input size when resizing is off.
    public func resizedSize(height: Int, width: Int) throws -> (height: Int, width: Int) {
        guard config.doResize, let size = config.size else { return (height, width) }
        let out = Self.outputSize(size, height: height, width: width)
        guard out.height > 0, out.width > 0 else { throw ImageError.invalidSize(width: out.width, height: out.height) }
        return out
    }

    /// The resize step alone (an 8-bit image, as transformers hands to `center_crop`).
    public func resized(_ image: RGBImage) throws -> RGBImage {
        let target = try resizedSize(height: image.height, width: image.width)
        return ImageResampler.resized(image, width: target.width, height: target.height, filter: config.resample, parallel: true)
    }

    /// The batch path when the config fixes the output size: every image is written straight into its
    /// slot of one output buffer, in parallel, with no intermediate 8-bit copy.
    private func preprocessFixed(
        count: Int, size: (height: Int, width: Int), image: (Int) throws -> RGBImage
    ) throws -> PixelValues {
        let perImage = 3 * size.height * size.width
        let errors = ResultSlots<Bool>(count: count)
        let inner = count < ThreadBudget.count
        let values = [Float](unsafeUninitializedCapacity: count * perImage) { out, initialized in
            let base = out.baseAddress!
            ThreadBudget.forEach(iterations: count) { i in
                errors.set(i, Result {
                    let region = try cropRegion(try image(i), parallel: inner)
                    guard region.height <= size.height, region.width <= size.width else {
                        throw ImageError.invalidConfigValue(
                            file: "preprocessor config", key: "pad_size",
                            expected: "at least \(region.height)×\(region.width)", actual: "\(size.height)×\(size.width)")
                    }
                    write(region, into: base + i * perImage, height: size.height, width: size.width)
                    return true
                }.mapError(ImageDecoder.imageError))
            }
            initialized = count * perImage
        }
        for result in errors.values { _ = try result.get() }
        return PixelValues(uncheckedShape: [count, 3, size.height, size.width], values: values)
    }

    private func prepareFiles(_ urls: [URL], options: DecodeOptions) -> [Result<PreparedImage, ImageError>] {
        let prepared = ResultSlots<PreparedImage>(count: urls.count)
        let inner = urls.count < ThreadBudget.count
        ThreadBudget.forEach(iterations: urls.count) { i in
            prepared.set(i, Result {
                try prepare(ImageDecoder.decode(contentsOf: urls[i], options: options), parallel: inner)
            }.mapError(ImageDecoder.imageError))
        }
        return prepared.values
    }
}
