/// A batch of preprocessed images: `float32`, shape `[batch, 3, height, width]` (NCHW, contiguous),
/// what transformers returns as `pixel_values`.
public struct PixelValues: Sendable, Equatable {
    /// `[batch, channels, height, width]`.
    public let shape: [Int]
    /// Row-major values, `shape.reduce(1, *)` of them.
    public let values: [Float]

    /// - Throws: ``ImageError/invalidBuffer(width:height:channels:byteCount:)`` when the shape is not
    ///   four positive dimensions matching `values.count`.
    public init(shape: [Int], values: [Float]) throws {
        guard shape.count == 4, shape.allSatisfy({ $0 > 0 }), shape.reduce(1, *) == values.count else {
            throw ImageError.invalidBuffer(
                width: shape.last ?? 0, height: shape.count > 2 ? shape[2] : 0,
                channels: shape.count > 1 ? shape[1] : 0, byteCount: values.count)
        }
        self.shape = shape
        self.values = values
    }

    init(uncheckedShape shape: [Int], values: [Float]) {
        self.shape = shape
        self.values = values
    }

    /// Number of images in the batch.
    public var batchSize: Int { shape[0] }

    /// The values of image `index` (`3 × height × width`, CHW).
    public func image(at index: Int) -> ArraySlice<Float> {
        let n = shape[1] * shape[2] * shape[3]
        return values[(index * n)..<((index + 1) * n)]
    }
}
