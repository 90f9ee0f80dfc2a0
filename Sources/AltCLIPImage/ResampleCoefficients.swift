/// Fixed-point weights of one separable resampling pass, computed as Pillow 13's `precompute_coeffs`
/// and `normalize_coeffs_8bpc` do (`src/libImaging/Resample.c`).
///
/// Output sample `first + i` reads `count[i]` consecutive input samples starting at `start[i]`, weighted
/// by `weights[i * kernelSize ..< i * kernelSize + count[i]]`. Only the outputs a caller keeps are
/// computed (`outputs`), so a crop of a 1 × 3,000,000 image's resize costs what the crop costs.
struct ResampleCoefficients {
    /// Fractional bits of the weights (`PRECISION_BITS = 32 - 8 - 2`).
    static let precisionBits: Int32 = 22

    let kernelSize: Int
    /// The first output sample described (the arrays are indexed from it).
    let first: Int
    let start: [Int]
    let count: [Int]
    let weights: [Int32]
    /// The weights split as `high · 2^shift + low` (`low` in `0..<2^shift`), both as floats, with `shift`
    /// chosen so that any sum of `pixel · high` or of `pixel · low` over one output sample stays an
    /// integer below 2^22 in magnitude: float32 arithmetic on them is then exact, and Pillow's
    /// `Σ pixel·weight` is recovered bit for bit. `nil` when no such split exists (downscales by more
    /// than about 8× with bicubic); the integer path is used then.
    let split: (shift: Int32, high: [Float], low: [Float])?

    /// - Parameters:
    ///   - inSize: input length along the pass (the whole image: Pillow's box is `(0, 0, w, h)`).
    ///   - outSize: output length, at least 1.
    ///   - outputs: the output samples wanted (default: all); each is exactly as in the full set.
    init(inSize: Int, outSize: Int, filter: ResamplingFilter, outputs: Range<Int>? = nil) {
        let outputs = outputs ?? 0..<outSize
        // Pillow computes `(double)(in1 - in0) / outSize` with float box edges; exact for real sizes.
        let scale = Double(Float(inSize)) / Double(outSize)
        let filterScale = max(scale, 1.0)
        let support = filter.support * filterScale
        let kernelSize = Int(support.rounded(.up)) * 2 + 1
        let invFilterScale = 1.0 / filterScale

        var start = [Int](repeating: 0, count: outputs.count)
        var count = [Int](repeating: 0, count: outputs.count)
        var weights = [Int32](repeating: 0, count: outputs.count * kernelSize)
        var k = [Double](repeating: 0, count: kernelSize)
        let one = Double(1 << Self.precisionBits)
        for (i, xx) in outputs.enumerated() {
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
            let base = i * kernelSize
            for x in 0..<max(xmax, 0) {
                let v = ww != 0.0 ? k[x] / ww : k[x]
                weights[base + x] = Int32(v < 0 ? -0.5 + v * one : 0.5 + v * one)
            }
            start[i] = xmin
            count[i] = max(xmax, 0)
        }
        self.kernelSize = kernelSize
        first = outputs.lowerBound
        self.start = start
        self.count = count
        self.weights = weights
        self.split = Self.floatSplit(weights: weights, count: count, kernelSize: kernelSize)
    }

    /// The first input sample output `i` reads.
    func start(at i: Int) -> Int { start[i - first] }
    /// How many input samples output `i` reads.
    func count(at i: Int) -> Int { count[i - first] }
    /// One past the last input sample output `i` reads.
    func end(at i: Int) -> Int { start(at: i) + count(at: i) }

    private static func floatSplit(weights: [Int32], count: [Int], kernelSize: Int) -> (Int32, [Float], [Float])? {
        let limit = 1 << 22
        var maxAbsSum = 0, maxCount = 0
        for (i, n) in count.enumerated() {
            maxAbsSum = max(maxAbsSum, weights[(i * kernelSize)..<(i * kernelSize + n)].reduce(0) { $0 + abs(Int($1)) })
            maxCount = max(maxCount, n)
        }
        for shift in 1..<Int(precisionBits) {
            // high part: Σ 255·|k >> shift| ≤ 255·(Σ|k| / 2^shift + n); low part: 255·(2^shift − 1)·n.
            let highBound = 255 * (maxAbsSum >> shift + maxCount)
            let lowBound = 255 * ((1 << shift) - 1) * maxCount
            guard highBound < limit else { continue }
            guard lowBound < limit else { return nil }
            let mask = Int32((1 << shift) - 1)
            return (Int32(shift), weights.map { Float($0 >> Int32(shift)) }, weights.map { Float($0 & mask) })
        }
        return nil
    }
}
