extension Ops {
    /// `a + b`, where `b` has `a`'s shape or a suffix of it (broadcast over the leading axes, e.g. a
    /// bias `[D]` or position embeddings `[L, D]` added to `[B, L, D]`).
    public static func add(_ a: Tensor, _ b: Tensor) -> Tensor {
        precondition(b.rank <= a.rank && Array(a.shape.suffix(b.rank)) == b.shape,
                     "add: \(b.shape) does not broadcast onto \(a.shape)")
        let result = Tensor(uninitializedShape: a.shape)
        let pa = a.pointer, pb = b.pointer, pc = result.storage.pointer
        let inner = b.count
        guard inner > 0 else { return result }
        if inner == a.count {
            Threading.parallelFor(a.count, costPerItem: 1) { range in
                for i in range { pc[i] = pa[i] + pb[i] }
            }
        } else {
            Threading.parallelFor(a.count / inner, costPerItem: inner) { blocks in
                for block in blocks {
                    let x = pa + block * inner, y = pc + block * inner
                    for i in 0..<inner { y[i] = x[i] + pb[i] }
                }
            }
        }
        return result
    }

    /// `a · s` for a scalar `s`.
    public static func mul(_ a: Tensor, _ s: Float) -> Tensor {
        map(a, cost: 1) { $0 * s }
    }

    /// Applies `act` elementwise.
    public static func activate(_ x: Tensor, _ act: Activation) -> Tensor {
        // One specialized loop per function (a switch inside the loop would block vectorization).
        switch act {
        case .gelu, .geluPython: return map(x, cost: 8) { Activation.erfGelu($0) }
        case .geluNew, .geluPytorchTanh: return map(x, cost: 12) { Activation.tanhGelu($0) }
        case .geluFast: return map(x, cost: 12) { Activation.fastGelu($0) }
        case .quickGelu: return map(x, cost: 6) { Activation.quickGelu($0) }
        case .relu: return map(x, cost: 1) { Activation.relu($0) }
        case .silu, .swish: return map(x, cost: 6) { $0 * FastMath.sigmoid($0) }
        case .tanh: return tanh(x)
        case .sigmoid: return map(x, cost: 6) { FastMath.sigmoid($0) }
        case .relu6: return map(x, cost: 1) { Activation.relu6.apply($0) }
        case .linear: return x
        case .gelu10, .geluAccurate, .geluPythonTanh, .hardswish, .laplace, .leakyRelu, .mish, .relu2, .sqrtsoftplus:
            return map(x, cost: 16) { act.apply($0) }
        }
    }

    /// Elementwise `tanh`.
    public static func tanh(_ x: Tensor) -> Tensor {
        map(x, cost: 12) { FastMath.tanh($0) }
    }

    /// Elementwise `eˣ`.
    public static func exp(_ x: Tensor) -> Tensor {
        map(x, cost: 6) { FastMath.exp($0) }
    }

    @inline(__always)
    static func map(_ x: Tensor, cost: Int, _ f: (Float) -> Float) -> Tensor {
        let result = Tensor(uninitializedShape: x.shape)
        let source = x.pointer, target = result.storage.pointer
        Threading.parallelFor(x.count, costPerItem: cost) { range in
            for i in range { target[i] = f(source[i]) }
        }
        return result
    }
}
