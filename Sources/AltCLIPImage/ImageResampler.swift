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

    /// The checked-size core. Only the output pixels in `rows × columns` (default: all) are computed and
    /// returned; each is exactly the pixel the full resize would produce there, which lets a centre crop
    /// skip the work it would throw away. `parallel: false` when the caller already spreads images over
    /// cores.
    static func resized(
        _ image: RGBImage, width: Int, height: Int, filter: ResamplingFilter,
        rows: Range<Int>? = nil, columns: Range<Int>? = nil, parallel: Bool
    ) -> RGBImage {
        let rows = rows ?? 0..<height
        let columns = columns ?? 0..<width
        if image.width == width && image.height == height {
            return rows == 0..<height && columns == 0..<width ? image : crop(image, rows: rows, columns: columns)
        }
        if filter == .nearest {
            return nearest(image, width: width, height: height, rows: rows, columns: columns, parallel: parallel)
        }
        let needHorizontal = width != image.width
        let needVertical = height != image.height
        let dh = image.height - height
        let horizontalFirst = !(dh > 0 && dh > (image.width - width) * 2)
        let h = needHorizontal ? ResampleCoefficients(inSize: image.width, outSize: width, filter: filter, outputs: columns) : nil
        let v = needVertical ? ResampleCoefficients(inSize: image.height, outSize: height, filter: filter, outputs: rows) : nil

        if horizontalFirst {
            // Only the input rows the vertical pass will read are resampled horizontally.
            guard let v else {
                guard let h else { return crop(image, rows: rows, columns: columns) }
                return horizontalPass(image, rows: rows, columnShift: 0, columns: columns, coefficients: h,
                                      parallel: parallel, as: UInt8.self).rgbImage
            }
            let inputRows = v.start(at: rows.lowerBound)..<v.end(at: rows.upperBound - 1)
            guard let h else {
                return verticalPass(image.samples, rowShift: 0, outRows: rows, columns: columns, coefficients: v, parallel: parallel)
            }
            let mid = horizontalPass(image, rows: inputRows, columnShift: 0, columns: columns, coefficients: h,
                                     parallel: parallel, as: UInt8.self)
            return verticalPass(mid, rowShift: inputRows.lowerBound, outRows: rows, columns: 0..<mid.width,
                                coefficients: v, parallel: parallel)
        }
        // Vertical first: only the input columns the horizontal pass will read go through it.
        var inputColumns = columns
        if let h { inputColumns = h.start(at: columns.lowerBound)..<h.end(at: columns.upperBound - 1) }
        var current: RGBImage
        if let v {
            current = verticalPass(image.samples, rowShift: 0, outRows: rows, columns: inputColumns, coefficients: v, parallel: parallel)
        } else {
            current = crop(image, rows: rows, columns: inputColumns)
        }
        if let h {
            current = horizontalPass(
                current, rows: 0..<current.height, columnShift: inputColumns.lowerBound, columns: columns,
                coefficients: h, parallel: parallel, as: UInt8.self).rgbImage
        }
        return current
    }

    static func crop(_ image: RGBImage, rows: Range<Int>, columns: Range<Int>) -> RGBImage {
        if rows == 0..<image.height && columns == 0..<image.width { return image }
        let rowBytes = columns.count * 3
        let pixels = [UInt8](unsafeUninitializedCapacity: rows.count * rowBytes) { out, initialized in
            image.pixels.withUnsafeBufferPointer { src in
                for (j, y) in rows.enumerated() {
                    let from = src.baseAddress! + (y * image.width + columns.lowerBound) * 3
                    (out.baseAddress! + j * rowBytes).initialize(from: from, count: rowBytes)
                }
            }
            initialized = rows.count * rowBytes
        }
        return RGBImage(uncheckedWidth: columns.count, height: rows.count, pixels: pixels)
    }
}
