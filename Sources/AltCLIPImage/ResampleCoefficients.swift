/// Fixed-point weights of one separable resampling pass, computed as Pillow 13's `precompute_coeffs`
/// and `normalize_coeffs_8bpc` do (`src/libImaging/Resample.c`).
///
/// Output sample `i` reads `count[i]` consecutive input samples starting at `start[i]`, weighted by
/// `weights[i * kernelSize ..< i * kernelSize + count[i]]`.
struct ResampleCoefficients {
    /// Fractional bits of the weights (`PRECISION_BITS = 32 - 8 - 2`).
    static let precisionBits: Int32 = 22

    let kernelSize: Int
    let start: [Int]
    let count: [Int]
    let weights: [Int32]

    /// - Parameters:
    ///   - inSize: input length along the pass (the whole image: Pillow's box is `(0, 0, w, h)`).
    ///   - outSize: output length, at least 1.
    init(inSize: Int, outSize: Int, filter: ResamplingFilter) {
        // Pillow computes `(double)(in1 - in0) / outSize` with float box edges; exact for real sizes.
        let scale = Double(Float(inSize)) / Double(outSize)
        let filterScale = max(scale, 1.0)
        let support = filter.support * filterScale
        let kernelSize = Int(support.rounded(.up)) * 2 + 1
        let invFilterScale = 1.0 / filterScale

        var start = [Int](repeating: 0, count: outSize)
        var count = [Int](repeating: 0, count: outSize)
        var weights = [Int32](repeating: 0, count: outSize * kernelSize)
        var k = [Double](repeating: 0, count: kernelSize)
        let one = Double(1 << Self.precisionBits)
        for xx in 0..<outSize {
            let center = 0.0 + (Double(xx) + 0.5) * scale
            // C `(int)` casts truncate toward zero, as Swift's Int(Double) does.
            let xmin = max(Int(center - support + 0.5), 0)
            let xmax = min(Int(center + support + 0.5), inSize) - xmin
            var ww = 0.0
            for x in 0..<max(xmax, 0) {
                let w = filter.weight((Double(x + xmin) - center + 0.5) * invFilterScale)
                k[x] = w
                ww += w
            }
            let base = xx * kernelSize
            for x in 0..<max(xmax, 0) {
                let v = ww != 0.0 ? k[x] / ww : k[x]
                weights[base + x] = Int32(v < 0 ? -0.5 + v * one : 0.5 + v * one)
            }
            start[xx] = xmin
            count[xx] = max(xmax, 0)
        }
        self.kernelSize = kernelSize
        self.start = start
        self.count = count
        self.weights = weights
    }
}
