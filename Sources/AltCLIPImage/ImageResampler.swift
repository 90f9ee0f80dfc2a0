/// Pillow 13's `Image.resize` for 8-bit RGB images, reproduced bit for bit.
///
/// Separable passes with fixed-point weights (antialiased when downscaling), each pass rounded and
/// clamped to `UInt8`; a pass is skipped when its size does not change; the vertical pass runs first
/// when the height shrinks by more than twice as much as the width (Pillow 13's rule; earlier Pillow
/// always went horizontal first). ``ResamplingFilter/nearest`` uses Pillow's affine-scale path.
/// `reducing_gap` is not supported: transformers never passes it.
public enum ImageResampler {
    /// Resizes `image` to `width × height` with `filter`, as `PIL.Image.resize((width, height), filter)`.
    /// - Throws: ``ImageError/invalidSize(width:height:)`` when a side is not positive.
    public static func resize(
        _ image: RGBImage, width: Int, height: Int, filter: ResamplingFilter
    ) throws -> RGBImage {
        guard width > 0, height > 0 else { throw ImageError.invalidSize(width: width, height: height) }
        return resized(image, width: width, height: height, filter: filter, parallel: true)
    }

    /// The checked-size core; `parallel: false` when the caller already spreads images over cores.
    static func resized(
        _ image: RGBImage, width: Int, height: Int, filter: ResamplingFilter, parallel: Bool
    ) -> RGBImage {
        if image.width == width && image.height == height { return image }
        if filter == .nearest {
            return nearest(image, width: width, height: height, parallel: parallel)
        }
        let needHorizontal = width != image.width
        let needVertical = height != image.height
        let dh = image.height - height
        let horizontalFirst = !(dh > 0 && dh > (image.width - width) * 2)

        var current = image
        if horizontalFirst {
            if needHorizontal {
                // Only the rows the vertical pass will read are resampled horizontally.
                var rows = 0..<image.height
                var vertical: ResampleCoefficients?
                if needVertical {
                    let v = ResampleCoefficients(inSize: image.height, outSize: height, filter: filter)
                    let first = v.start[0]
                    let last = v.start[height - 1] + v.count[height - 1]
                    rows = first..<last
                    vertical = v
                }
                let h = ResampleCoefficients(inSize: image.width, outSize: width, filter: filter)
                current = horizontalPass(current, rows: rows, coefficients: h, outWidth: width, parallel: parallel)
                if let vertical {
                    current = verticalPass(
                        current, rowShift: rows.lowerBound, coefficients: vertical, outHeight: height,
                        parallel: parallel)
                }
            } else {
                let v = ResampleCoefficients(inSize: image.height, outSize: height, filter: filter)
                current = verticalPass(current, rowShift: 0, coefficients: v, outHeight: height, parallel: parallel)
            }
        } else {
            if needVertical {
                let v = ResampleCoefficients(inSize: image.height, outSize: height, filter: filter)
                current = verticalPass(current, rowShift: 0, coefficients: v, outHeight: height, parallel: parallel)
            }
            if needHorizontal {
                let h = ResampleCoefficients(inSize: image.width, outSize: width, filter: filter)
                current = horizontalPass(
                    current, rows: 0..<current.height, coefficients: h, outWidth: width, parallel: parallel)
            }
        }
        return current
    }
}
