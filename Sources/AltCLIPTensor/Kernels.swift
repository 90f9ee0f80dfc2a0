import CAltCLIPKernels
import Foundation

/// Row kernels shared by the ops. Reductions use SIMD accumulators because the compiler may not
/// reorder floating-point sums on its own (and so would not vectorize them).
enum Kernels {
    typealias Vector = SIMD16<Float>
    static let width = Vector.scalarCount

    @inline(__always)
    static func load(_ p: UnsafePointer<Float>) -> Vector {
        UnsafeRawPointer(p).loadUnaligned(as: Vector.self)
    }

    @inline(__always)
    static func store(_ v: Vector, _ p: UnsafeMutablePointer<Float>) {
        UnsafeMutableRawPointer(p).storeBytes(of: v, as: Vector.self)
    }

    /// Σ p[i].
    static func sum(_ p: UnsafePointer<Float>, _ n: Int) -> Float {
        var acc = Vector()
        var i = 0
        while i + width <= n {
            acc += load(p + i)
            i += width
        }
        var total = acc.sum()
        while i < n {
            total += p[i]
            i += 1
        }
        return total
    }

    /// Σ (p[i] − mean)².
    static func sumOfSquaredDeviations(_ p: UnsafePointer<Float>, _ n: Int, mean: Float) -> Float {
        var acc = Vector()
        let m = Vector(repeating: mean)
        var i = 0
        while i + width <= n {
            let d = load(p + i) - m
            acc += d * d  // not addProduct: without FMA in the baseline ISA it becomes a libm fmaf call per lane
            i += width
        }
        var total = acc.sum()
        while i < n {
            let d = p[i] - mean
            total += d * d
            i += 1
        }
        return total
    }

    /// Σ p[i]².
    static func sumOfSquares(_ p: UnsafePointer<Float>, _ n: Int) -> Float {
        sumOfSquaredDeviations(p, n, mean: 0)
    }

    /// max p[i] (−∞ for n = 0). NaNs are skipped here; callers' later arithmetic propagates them.
    static func maximum(_ p: UnsafePointer<Float>, _ n: Int) -> Float {
        var acc = Vector(repeating: -.infinity)
        var i = 0
        while i + width <= n {
            let v = load(p + i)
            acc = acc.replacing(with: v, where: v .> acc)  // `pointwiseMax` compiles to scalar code
            i += width
        }
        var best = acc.max()
        while i < n {
            if p[i] > best { best = p[i] }
            i += 1
        }
        return best
    }

    /// Softmax of one row in place: exp(x − max) / Σ. A row of −∞ gives NaN (as torch does); a row of
    /// huge finite negatives (an additive mask of finfo.min on every key) gives a uniform row; a NaN
    /// anywhere makes the row NaN. The C kernel runs 16 lanes with AVX-512 where the CPU has it (the
    /// Swift code compiles for baseline x86-64).
    @inline(__always)
    static func softmaxInPlace(_ p: UnsafeMutablePointer<Float>, _ n: Int) {
        altclip_softmax_row(p, n)
    }

    /// `to[c·rows + r] = from[r·cols + c] (+ bias[c])` for a `rows × cols` matrix, in 32×32 tiles so
    /// both sides stay in cache, tiles spread over threads.
    static func transpose(
        _ from: UnsafePointer<Float>, rows: Int, cols: Int, into to: UnsafeMutablePointer<Float>,
        addingToEachRow bias: UnsafePointer<Float>? = nil
    ) {
        let tile = 32
        let rowTiles = (rows + tile - 1) / tile
        Threading.parallelFor(rowTiles, costPerItem: tile * cols) { range in
            for rowTile in range {
                let r0 = rowTile * tile, r1 = Swift.min(r0 + tile, rows)
                var c0 = 0
                while c0 < cols {
                    let c1 = Swift.min(c0 + tile, cols)
                    for r in r0..<r1 {
                        let source = from + r * cols
                        for c in c0..<c1 { to[c * rows + r] = source[c] }
                    }
                    if let bias {
                        for c in c0..<c1 {
                            let row = to + c * rows
                            for r in r0..<r1 { row[r] += bias[r] }
                        }
                    }
                    c0 = c1
                }
            }
        }
    }

    /// Rounds Float32 to bfloat16 bits, nearest even (torch's `.to(torch.bfloat16)`); NaN stays NaN
    /// (quiet), ±∞ stays ±∞, subnormals become ±0 (as the CPU's bfloat16 instructions treat them).
    /// Runs on AVX-512 BF16's conversion instruction where present; spread over threads.
    static func roundToBFloat16(_ source: UnsafePointer<Float>, count: Int, into target: UnsafeMutablePointer<UInt16>) {
        let block = 16384
        Threading.parallelFor((count + block - 1) / block, costPerItem: block / 4) { blocks in
            for b in blocks {
                let start = b * block, end = Swift.min(start + block, count)
                altclip_f32_to_bf16(source + start, target + start, end - start)
            }
        }
    }

    /// Widens 16-bit floats (bfloat16 or IEEE float16 bit patterns) to Float32, exactly.
    @inline(__always)
    static func widenHalf(_ source: UnsafePointer<UInt16>, bfloat16: Bool, count: Int, into target: UnsafeMutablePointer<Float>) {
        if bfloat16 {
            for i in 0..<count { target[i] = Float(bitPattern: UInt32(source[i]) << 16) }
        } else {
            for i in 0..<count { target[i] = Float(Float16(bitPattern: source[i])) }
        }
    }
}
