// Shape changes and copies: reshape, transpose/permute, slice/select, concatenate/stack.
extension Tensor {
    /// The same scalars viewed with another shape (no copy). One dimension may be -1 (inferred).
    public func reshaped(_ newShape: [Int]) -> Tensor {
        var resolved = newShape
        let inferred = newShape.indices.filter { newShape[$0] == -1 }
        precondition(inferred.count <= 1, "reshaped(\(newShape)): at most one -1")
        if let axis = inferred.first {
            let known = newShape.enumerated().filter { $0.offset != axis }.reduce(1) { $0 * $1.element }
            precondition(known > 0 && count % known == 0, "reshaped(\(newShape)): cannot infer from \(shape)")
            resolved[axis] = count / known
        }
        precondition(Tensor.elementCount(resolved) == count, "reshaped: \(shape) -> \(newShape) changes the count")
        return Tensor(shape: resolved, storage: storage)
    }

    /// A copy with axes `a` and `b` swapped (negative axes count from the end).
    public func transposed(_ a: Int, _ b: Int) -> Tensor {
        var order = Array(0..<rank)
        order.swapAt(normalizedAxis(a), normalizedAxis(b))
        return permuted(order)
    }

    /// A copy with axes reordered: result axis `i` is this tensor's axis `order[i]` (torch `permute`).
    public func permuted(_ order: [Int]) -> Tensor {
        precondition(order.count == rank && Set(order) == Set(0..<rank), "permuted(\(order)) on rank \(rank)")
        let outShape = order.map { shape[$0] }
        let result = Tensor(uninitializedShape: outShape)
        if count == 0 { return result }
        if rank >= 2 && order == Array(0..<(rank - 2)) + [rank - 1, rank - 2] {
            transposeLastTwoAxes(into: result.storage.pointer)
            return result
        }
        var inStrides = [Int](repeating: 1, count: rank)
        for axis in stride(from: rank - 2, through: 0, by: -1) { inStrides[axis] = inStrides[axis + 1] * shape[axis + 1] }
        let strides = order.map { inStrides[$0] }
        let source = pointer
        let target = result.storage.pointer
        let innerCount = outShape.last ?? 1
        let innerStride = strides.last ?? 1
        let outerRank = max(rank - 1, 0)
        var index = [Int](repeating: 0, count: outerRank)
        var sourceOffset = 0
        var written = 0
        while written < count {
            var s = sourceOffset
            for i in 0..<innerCount {
                target[written + i] = source[s]
                s += innerStride
            }
            written += innerCount
            // Odometer increment over the outer axes.
            var axis = outerRank - 1
            while axis >= 0 {
                index[axis] += 1
                sourceOffset += strides[axis]
                if index[axis] < outShape[axis] { break }
                sourceOffset -= strides[axis] * outShape[axis]
                index[axis] = 0
                axis -= 1
            }
        }
        return result
    }

    /// Swaps the last two axes with a cache-blocked copy (weights are transposed this way at load time).
    private func transposeLastTwoAxes(into target: UnsafeMutablePointer<Float>) {
        let rows = shape[rank - 2], cols = shape[rank - 1]
        let matrices = count / (rows * cols)
        for m in 0..<matrices {
            Kernels.transpose(pointer + m * rows * cols, rows: rows, cols: cols, into: target + m * rows * cols)
        }
    }

    /// A copy of `range` along `axis` (torch `x.narrow(axis, range.lowerBound, range.count)`).
    public func slice(axis: Int, range: Range<Int>) -> Tensor {
        let axis = normalizedAxis(axis)
        precondition(range.lowerBound >= 0 && range.upperBound <= shape[axis],
                     "slice \(range) out of bounds for axis \(axis) of \(shape)")
        let outer = shape[..<axis].reduce(1, *)
        let inner = shape[(axis + 1)...].reduce(1, *)
        var outShape = shape
        outShape[axis] = range.count
        let result = Tensor(uninitializedShape: outShape)
        let block = range.count * inner
        let source = pointer
        let target = result.storage.pointer
        for o in 0..<outer {
            (target + o * block).update(from: source + (o * shape[axis] + range.lowerBound) * inner, count: block)
        }
        return result
    }

    /// The sub-tensor at `index` along `axis`, with that axis removed (torch `x.select(axis, index)`).
    public func select(axis: Int, index: Int) -> Tensor {
        let axis = normalizedAxis(axis)
        var outShape = shape
        outShape.remove(at: axis)
        return slice(axis: axis, range: index..<(index + 1)).reshaped(outShape)
    }

    /// Joins tensors along an existing axis; all other dimensions must match (torch `cat`).
    public static func concatenate(_ tensors: [Tensor], axis: Int) -> Tensor {
        precondition(!tensors.isEmpty, "concatenate needs at least one tensor")
        let first = tensors[0]
        let axis = first.normalizedAxis(axis)
        for t in tensors {
            precondition(t.rank == first.rank && t.shape.enumerated().allSatisfy { $0.offset == axis || $0.element == first.shape[$0.offset] },
                         "concatenate: \(t.shape) does not match \(first.shape) outside axis \(axis)")
        }
        let outer = first.shape[..<axis].reduce(1, *)
        let inner = first.shape[(axis + 1)...].reduce(1, *)
        var outShape = first.shape
        outShape[axis] = tensors.reduce(0) { $0 + $1.shape[axis] }
        let result = Tensor(uninitializedShape: outShape)
        let target = result.storage.pointer
        let outBlock = outShape[axis] * inner
        var offset = 0
        for t in tensors {
            let block = t.shape[axis] * inner
            let source = t.pointer
            for o in 0..<outer {
                (target + o * outBlock + offset).update(from: source + o * block, count: block)
            }
            offset += block
        }
        return result
    }

    /// Joins equally shaped tensors along a new axis (torch `stack`).
    public static func stack(_ tensors: [Tensor], axis: Int) -> Tensor {
        precondition(!tensors.isEmpty, "stack needs at least one tensor")
        let shape = tensors[0].shape
        precondition(tensors.allSatisfy { $0.shape == shape }, "stack: shapes differ")
        let axis = axis < 0 ? axis + shape.count + 1 : axis
        precondition(axis >= 0 && axis <= shape.count, "stack: axis out of range")
        var expanded = shape
        expanded.insert(1, at: axis)
        return concatenate(tensors.map { $0.reshaped(expanded) }, axis: axis)
    }

    func normalizedAxis(_ axis: Int) -> Int {
        let a = axis < 0 ? axis + rank : axis
        precondition(a >= 0 && a < rank, "axis \(axis) out of range for rank \(rank)")
        return a
    }
}
