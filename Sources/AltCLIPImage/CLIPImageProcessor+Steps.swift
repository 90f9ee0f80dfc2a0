import AltCLIPSupport

/// One image after resize and crop: 8-bit, CHW, not yet rescaled.
struct PreparedImage: Sendable {
    let height: Int
    let width: Int
    let chw: [UInt8]
}

/// The part of the resized image that survives the centre crop, and where it lands in the output.
struct CroppedRegion {
    /// Output size (the crop size, or the resized size without cropping).
    let height: Int
    let width: Int
    /// Resized pixels inside the output; `nil` when the crop lies entirely in the padding.
    let pixels: RGBImage?
    /// Output row / column of `pixels`' first pixel.
    let top: Int
    let left: Int
}

extension CLIPImageProcessor {
    /// The `(height, width)` every image of a batch ends up with when the config fixes it (centre crop,
    /// `do_pad`, or an exact `{height, width}` resize), else `nil`.
    var fixedOutputSize: (height: Int, width: Int)? {
        if config.doPad, let pad = config.padSize { return pad }
        if config.doCenterCrop, let crop = config.cropSize { return crop }
        if config.doResize, case .heightWidth(let h, let w)? = config.size { return (h, w) }
        return nil
    }

    /// Resize (Pillow) then centre crop, computing only the resized pixels the crop keeps (pixel for
    /// pixel what resizing everything and cropping afterwards gives).
    func cropRegion(_ image: RGBImage, parallel: Bool) throws -> CroppedRegion {
        var (fullHeight, fullWidth) = (image.height, image.width)
        if config.doResize, let size = config.size {
            (fullHeight, fullWidth) = Self.outputSize(size, height: image.height, width: image.width)
            guard fullHeight > 0, fullWidth > 0 else {
                throw ImageError.invalidSize(width: fullWidth, height: fullHeight)
            }
        }
        var (h, w) = (fullHeight, fullWidth)
        if config.doCenterCrop, let crop = config.cropSize { (h, w) = (crop.height, crop.width) }
        // Without a crop the output follows the image's aspect ratio: a 1 x 3,000,000 strip resized to a
        // 224-pixel short side would be 672 million pixels. Refused before any buffer is made.
        let (area, overflow) = h.multipliedReportingOverflow(by: w)
        guard !overflow, area <= DecodeOptions.pillowMaxImagePixels else {
            throw ImageError.outputTooLarge(width: w, height: h, limit: DecodeOptions.pillowMaxImagePixels)
        }
        // transformers' center_crop: top = (H − h) // 2 (floor, also when negative), left likewise;
        // rows/columns outside the image are the zero padding.
        let top = Self.floorDiv(fullHeight - h, 2)
        let left = Self.floorDiv(fullWidth - w, 2)
        let rows = max(top, 0)..<min(top + h, fullHeight)
        let columns = max(left, 0)..<min(left + w, fullWidth)
        guard !rows.isEmpty, !columns.isEmpty else {
            return CroppedRegion(height: h, width: w, pixels: nil, top: 0, left: 0)
        }
        let pixels = config.doResize
            ? ImageResampler.resized(
                image, width: fullWidth, height: fullHeight, filter: config.resample, rows: rows, columns: columns,
                parallel: parallel)
            : ImageResampler.crop(image, rows: rows, columns: columns)
        return CroppedRegion(height: h, width: w, pixels: pixels, top: rows.lowerBound - top, left: columns.lowerBound - left)
    }

    /// The region as 8-bit CHW (zero padding included), for batches whose sizes are only known later.
    func prepare(_ image: RGBImage, parallel: Bool) throws -> PreparedImage {
        let region = try cropRegion(image, parallel: parallel)
        let (h, w) = (region.height, region.width)
        let plane = h * w
        let chw = [UInt8](unsafeUninitializedCapacity: 3 * plane) { out, initialized in
            out.initialize(repeating: 0)
            if let pixels = region.pixels {
                pixels.pixels.withUnsafeBufferPointer { src in
                    for ry in 0..<pixels.height {
                        let row = ry * pixels.width * 3
                        let o = (region.top + ry) * w + region.left
                        for rx in 0..<pixels.width {
                            out[o + rx] = src[row + rx * 3]
                            out[plane + o + rx] = src[row + rx * 3 + 1]
                            out[2 * plane + o + rx] = src[row + rx * 3 + 2]
                        }
                    }
                }
            }
            initialized = 3 * plane
        }
        return PreparedImage(height: h, width: w, chw: chw)
    }

    /// Writes the region's final values straight into one image slot (`3 × height × width` floats,
    /// `height × width` ≥ the region's output size; the rest of the slot is `do_pad`'s zeros): the
    /// 8-bit padding of the crop maps through the level table like any other level.
    func write(_ region: CroppedRegion, into out: UnsafeMutablePointer<Float>, height: Int, width: Int) {
        let plane = height * width
        lookup.withUnsafeBufferPointer { table in
            for c in 0..<3 {
                let t = table.baseAddress! + c * 256
                let zero = t[0]
                let channel = out + c * plane
                for y in 0..<height {
                    let row = channel + y * width
                    if y < region.height {
                        for x in 0..<region.width { row[x] = zero }
                        for x in region.width..<width { row[x] = 0 }
                    } else {
                        for x in 0..<width { row[x] = 0 }
                    }
                }
                guard let pixels = region.pixels else { continue }
                pixels.pixels.withUnsafeBufferPointer { src in
                    for ry in 0..<pixels.height {
                        let row = channel + (region.top + ry) * width + region.left
                        let from = src.baseAddress! + ry * pixels.width * 3 + c
                        for rx in 0..<pixels.width { row[rx] = t[Int(from[rx * 3])] }
                    }
                }
            }
        }
    }

    /// Rescale/normalize through the level table, then the optional `do_pad` (zeros after
    /// normalization, bottom/right), into one contiguous batch.
    func stack(_ images: [PreparedImage]) throws -> PixelValues {
        guard let first = images.first else { return PixelValues(uncheckedShape: [0, 3, 0, 0], values: []) }
        for (i, image) in images.enumerated() where image.height != first.height || image.width != first.width {
            throw ImageError.batchShapeMismatch(index: i, expected: [3, first.height, first.width], actual: [3, image.height, image.width])
        }
        var outH = first.height, outW = first.width
        if config.doPad, let pad = config.padSize {
            guard pad.height >= outH, pad.width >= outW else {
                throw ImageError.invalidConfigValue(
                    file: "preprocessor config", key: "pad_size", expected: "at least \(outH)×\(outW)",
                    actual: "\(pad.height)×\(pad.width)")
            }
            (outH, outW) = (pad.height, pad.width)
        }
        let perImage = 3 * outH * outW
        let lookup = self.lookup
        let values = [Float](unsafeUninitializedCapacity: images.count * perImage) { out, initialized in
            out.initialize(repeating: 0)
            let base = out.baseAddress!
            lookup.withUnsafeBufferPointer { table in
                ThreadBudget.forEachChunk(images.count, costPerItem: perImage) { chunk in
                    for i in chunk {
                        let image = images[i]
                        for c in 0..<3 {
                            let t = table.baseAddress! + c * 256
                            for y in 0..<image.height {
                                let dst = base + i * perImage + c * outH * outW + y * outW
                                let srcRow = c * image.height * image.width + y * image.width
                                for x in 0..<image.width { dst[x] = t[Int(image.chw[srcRow + x])] }
                            }
                        }
                    }
                }
            }
            initialized = images.count * perImage
        }
        return PixelValues(uncheckedShape: [images.count, 3, outH, outW], values: values)
    }

    /// The float value of every 8-bit level per channel, computed with transformers' operation order:
    /// `rescale` multiplies in float64 and casts to float32; `normalize` subtracts and divides in float32
    /// with float32 mean/std.
    static func valueTable(_ config: CLIPImageProcessorConfig) -> [Float] {
        var table = [Float](repeating: 0, count: 3 * 256)
        for c in 0..<3 {
            for v in 0..<256 {
                var x = config.doRescale ? Float(Double(v) * config.rescaleFactor) : Float(v)
                if config.doNormalize {
                    x = (x - Float(config.imageMean[c])) / Float(config.imageStd[c])
                }
                table[c * 256 + v] = x
            }
        }
        return table
    }

    /// transformers' output-size rules of `PilBackend.resize`, with Python's float semantics.
    static func outputSize(_ size: CLIPImageProcessorConfig.Size, height: Int, width: Int) -> (height: Int, width: Int) {
        switch size {
        case .shortestEdge(let s):
            // get_resize_output_image_size(default_to_square=False): int(s * long / short).
            let (short, long) = width <= height ? (width, height) : (height, width)
            let newLong = Int(Double(s * long) / Double(short))
            return width <= height ? (newLong, s) : (s, newLong)
        case .shortestAndLongestEdge(let shortest, let longest):
            return sizeWithAspectRatio(height: height, width: width, size: shortest, maxSize: longest)
        case .maxHeightWidth(let maxHeight, let maxWidth):
            let scale = min(Double(maxHeight) / Double(height), Double(maxWidth) / Double(width))
            return (Int(Double(height) * scale), Int(Double(width) * scale))
        case .heightWidth(let h, let w):
            return (h, w)
        }
    }

    /// transformers' `get_size_with_aspect_ratio(image_size, size, max_size)`.
    static func sizeWithAspectRatio(height: Int, width: Int, size: Int, maxSize: Int) -> (height: Int, width: Int) {
        var size = size
        var rawSize: Double?
        let minOriginal = Double(min(height, width)), maxOriginal = Double(max(height, width))
        if maxOriginal / minOriginal * Double(size) > Double(maxSize) {
            let raw = Double(maxSize) * minOriginal / maxOriginal
            rawSize = raw
            size = Int(raw.rounded(.toNearestOrEven))  // Python's round()
        }
        if (height <= width && height == size) || (width <= height && width == size) {
            return (height, width)
        }
        if width < height {
            let oh = rawSize.map { Int($0 * Double(height) / Double(width)) } ?? Int(Double(size * height) / Double(width))
            return (oh, size)
        }
        let ow = rawSize.map { Int($0 * Double(width) / Double(height)) } ?? Int(Double(size * width) / Double(height))
        return (size, ow)
    }

    static func floorDiv(_ a: Int, _ b: Int) -> Int {
        let q = a / b
        return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q
    }
}
