import AltCLIPTensor
import Foundation

/// Naive double-precision versions of the ops, written from the PyTorch definitions.
enum Naive {
    static func linear(_ x: Tensor, _ w: Tensor, _ b: Tensor?) -> Reference {
        let xs = x.scalars, ws = w.scalars, bs = b?.scalars
        let outF = w.shape[0], inF = w.shape[1], rows = x.count / inF
        var y = [Double](repeating: 0, count: rows * outF)
        for r in 0..<rows {
            for o in 0..<outF {
                var s = bs.map { Double($0[o]) } ?? 0
                for i in 0..<inF { s += Double(xs[r * inF + i]) * Double(ws[o * inF + i]) }
                y[r * outF + o] = s
            }
        }
        return Reference(shape: Array(x.shape.dropLast()) + [outF], values: y)
    }

    static func matmul(_ a: Tensor, _ b: Tensor, transposeA: Bool, transposeB: Bool) -> Reference {
        let ar = a.shape[a.rank - 2], ac = a.shape[a.rank - 1]
        let br = b.shape[b.rank - 2], bc = b.shape[b.rank - 1]
        let m = transposeA ? ac : ar, k = transposeA ? ar : ac, n = transposeB ? br : bc
        let batches = a.shape.dropLast(2).reduce(1, *)
        let shared = b.rank == 2 && a.rank > 2
        let av = a.scalars, bv = b.scalars
        var c = [Double](repeating: 0, count: batches * m * n)
        for t in 0..<batches {
            let ao = t * ar * ac, bo = shared ? 0 : t * br * bc
            for i in 0..<m {
                for j in 0..<n {
                    var s = 0.0
                    for p in 0..<k {
                        let x = transposeA ? av[ao + p * ac + i] : av[ao + i * ac + p]
                        let y = transposeB ? bv[bo + j * bc + p] : bv[bo + p * bc + j]
                        s += Double(x) * Double(y)
                    }
                    c[t * m * n + i * n + j] = s
                }
            }
        }
        return Reference(shape: Array(a.shape.dropLast(2)) + [m, n], values: c)
    }

    static func layerNorm(_ x: Tensor, _ w: Tensor, _ b: Tensor, eps: Double) -> Reference {
        let d = x.shape.last!, xs = x.scalars.map(Double.init), ws = w.scalars, bs = b.scalars
        var y = [Double](repeating: 0, count: xs.count)
        for r in 0..<(xs.count / d) {
            let row = xs[(r * d)..<((r + 1) * d)]
            let mean = row.reduce(0, +) / Double(d)
            let variance = row.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(d)
            for i in 0..<d { y[r * d + i] = (row[r * d + i] - mean) / (variance + eps).squareRoot() * Double(ws[i]) + Double(bs[i]) }
        }
        return Reference(shape: x.shape, values: y)
    }

    static func softmaxRow(_ row: [Double]) -> [Double] {
        let m = row.max() ?? 0
        let e = row.map { Foundation.exp($0 - m) }
        let s = e.reduce(0, +)
        return e.map { $0 / s }
    }

    static func activation(_ x: Double, _ act: Activation) -> Double {
        switch act {
        case .gelu, .geluPython: return 0.5 * x * (1 + erf(x / 2.0.squareRoot()))
        case .geluNew, .geluPytorchTanh: return 0.5 * x * (1 + Foundation.tanh((2 / Double.pi).squareRoot() * (x + 0.044715 * x * x * x)))
        case .geluFast: return 0.5 * x * (1 + Foundation.tanh(x * 0.7978845608 * (1 + 0.044715 * x * x)))
        case .quickGelu: return x / (1 + Foundation.exp(-1.702 * x))
        case .relu: return max(x, 0)
        case .silu, .swish: return x / (1 + Foundation.exp(-x))
        case .tanh: return Foundation.tanh(x)
        case .sigmoid: return 1 / (1 + Foundation.exp(-x))
        case .relu6: return min(max(x, 0), 6)
        case .linear: return x
        case .gelu10: return min(max(0.5 * x * (1 + erf(x / 2.0.squareRoot())), -10), 10)
        case .geluAccurate, .geluPythonTanh:
            return 0.5 * x * (1 + Foundation.tanh((2 / Double.pi).squareRoot() * (x + 0.044715 * x * x * x)))
        case .hardswish: return x * min(max(x + 3, 0), 6) / 6
        case .laplace: return 0.5 * (1 + erf((x - 0.707107) / (0.282095 * 2.0.squareRoot())))
        case .leakyRelu: return x >= 0 ? x : 0.01 * x
        case .mish: return x * Foundation.tanh(x > 20 ? x : log1p(Foundation.exp(x)))
        case .relu2: return max(x, 0) * max(x, 0)
        case .sqrtsoftplus: return (x > 20 ? x : log1p(Foundation.exp(x))).squareRoot()
        }
    }

    /// transformers eager attention on [B, L, H·D] inputs: probabilities [B, H, Lq, Lk] and output.
    static func attention(
        q: Tensor, k: Tensor, v: Tensor, heads: Int, mask: Tensor?, headMask: Tensor?,
        scoreBias: Tensor? = nil, scale: Double? = nil
    ) -> (output: Reference, probabilities: Reference) {
        let b = q.shape[0], lq = q.shape[1], width = q.shape[2], lk = k.shape[1], d = width / heads
        let qs = q.scalars, ks = k.scalars, vs = v.scalars
        let ms = mask?.scalars, hs = headMask?.scalars, bias = scoreBias?.scalars
        let scale = scale ?? 1 / Double(d).squareRoot()
        var out = [Double](repeating: 0, count: b * lq * width)
        var probs = [Double](repeating: 0, count: b * heads * lq * lk)
        for bi in 0..<b {
            for h in 0..<heads {
                for i in 0..<lq {
                    var row = [Double](repeating: 0, count: lk)
                    for j in 0..<lk {
                        var s = 0.0
                        for t in 0..<d { s += Double(qs[(bi * lq + i) * width + h * d + t]) * Double(ks[(bi * lk + j) * width + h * d + t]) }
                        if let bias { s += Double(bias[((bi * heads + h) * lq + i) * lk + j]) }
                        s *= scale
                        if let ms {
                            switch ms.count {
                            case b * lk: s += Double(ms[bi * lk + j])
                            case b * lq * lk: s += Double(ms[(bi * lq + i) * lk + j])
                            default: s += Double(ms[((bi * heads + h) * lq + i) * lk + j])
                            }
                        }
                        row[j] = s
                    }
                    var p = softmaxRow(row)
                    if let hs { p = p.map { $0 * Double(hs.count == heads ? hs[h] : hs[bi * heads + h]) } }
                    for j in 0..<lk { probs[((bi * heads + h) * lq + i) * lk + j] = p[j] }
                    for t in 0..<d {
                        var s = 0.0
                        for j in 0..<lk { s += p[j] * Double(vs[(bi * lk + j) * width + h * d + t]) }
                        out[(bi * lq + i) * width + h * d + t] = s
                    }
                }
            }
        }
        return (Reference(shape: [b, lq, width], values: out), Reference(shape: [b, heads, lq, lk], values: probs))
    }

    /// Direct convolution with kernel = stride = p, no padding, flattened like `flatten(2).transpose(1, 2)`.
    static func patchEmbedding(_ x: Tensor, _ w: Tensor, p: Int) -> Reference {
        let (bn, c, h, wd) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        let o = w.shape[0], gh = h / p, gw = wd / p
        let xs = x.scalars, ws = w.scalars
        var y = [Double](repeating: 0, count: bn * gh * gw * o)
        for b in 0..<bn {
            for py in 0..<gh {
                for px in 0..<gw {
                    for oc in 0..<o {
                        var s = 0.0
                        for ci in 0..<c {
                            for ky in 0..<p {
                                for kx in 0..<p {
                                    s += Double(xs[((b * c + ci) * h + py * p + ky) * wd + px * p + kx])
                                        * Double(ws[((oc * c + ci) * p + ky) * p + kx])
                                }
                            }
                        }
                        y[((b * gh + py) * gw + px) * o + oc] = s
                    }
                }
            }
        }
        return Reference(shape: [bn, gh * gw, o], values: y)
    }

    /// The bicubic formula of torch's `upsample_bicubic2d` (align_corners=False), in Double.
    static func bicubic(_ x: Tensor, outH: Int, outW: Int) -> Reference {
        let (bn, c, h, w) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        let xs = x.scalars.map(Double.init)
        func taps(_ inSize: Int, _ outSize: Int, _ o: Int) -> [(Int, Double)] {
            let real = Double(inSize) / Double(outSize) * (Double(o) + 0.5) - 0.5
            let base = min(Int(real.rounded(.down)), inSize - 1)
            let t = min(max(real - Double(base), 0), 1)
            let a = -0.75
            func near(_ x: Double) -> Double { ((a + 2) * x - (a + 3)) * x * x + 1 }
            func far(_ x: Double) -> Double { ((a * x - 5 * a) * x + 8 * a) * x - 4 * a }
            let weights = [far(t + 1), near(t), near(1 - t), far(2 - t)]
            return (0..<4).map { (min(max(base - 1 + $0, 0), inSize - 1), weights[$0]) }
        }
        var y = [Double](repeating: 0, count: bn * c * outH * outW)
        for plane in 0..<(bn * c) {
            for oy in 0..<outH {
                let ty = taps(h, outH, oy)
                for ox in 0..<outW {
                    let tx = taps(w, outW, ox)
                    var s = 0.0
                    for (iy, wy) in ty { for (ix, wx) in tx { s += wy * wx * xs[(plane * h + iy) * w + ix] } }
                    y[(plane * outH + oy) * outW + ox] = s
                }
            }
        }
        return Reference(shape: [bn, c, outH, outW], values: y)
    }
}
