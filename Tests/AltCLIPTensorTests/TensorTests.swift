import AltCLIPTensor
import Testing

@Suite("Tensor storage and layout")
struct TensorTests {
    @Test func initializersAndAccessors() {
        let t = Tensor(shape: [2, 3], scalars: [1, 2, 3, 4, 5, 6])
        #expect(t.count == 6 && t.rank == 2)
        #expect(t[1, 2] == 6)
        #expect(Tensor(zeros: [3]).scalars == [0, 0, 0])
        #expect(Tensor(shape: [2, 2], repeating: 1.5).scalars == [1.5, 1.5, 1.5, 1.5])
        let scalar = Tensor(shape: [], scalars: [7])
        #expect(scalar.count == 1 && scalar.rank == 0)
        #expect(Tensor(zeros: [0, 4]).count == 0)
    }

    @Test func copyOnWrite() {
        let a = Tensor(shape: [3], scalars: [1, 2, 3])
        var b = a
        b.withUnsafeMutableBufferPointer { $0[0] = 10 }
        #expect(a.scalars == [1, 2, 3])
        #expect(b.scalars == [10, 2, 3])
        // A reshaped view shares storage until written.
        var c = a.reshaped([1, 3])
        c.withUnsafeMutableBufferPointer { $0[2] = -1 }
        #expect(a.scalars == [1, 2, 3] && c.scalars == [1, 2, -1])
    }

    final class Owner {
        var released = false
        let buffer: UnsafeMutablePointer<Float>
        init(_ values: [Float]) {
            buffer = .allocate(capacity: values.count)
            buffer.initialize(from: values, count: values.count)
        }
        deinit { buffer.deallocate() }
    }

    @Test func borrowingIsZeroCopyAndCopiesBeforeWriting() {
        let owner = Owner([1, 2, 3, 4])
        var t = Tensor(shape: [2, 2], borrowing: owner.buffer, owner: owner)
        #expect(t.isBorrowed)
        t.withUnsafeBufferPointer { #expect($0.baseAddress == UnsafePointer(owner.buffer)) }
        owner.buffer[0] = 9  // visible through the view: no copy was made
        #expect(t[0, 0] == 9)
        t.withUnsafeMutableBufferPointer { $0[1] = -2 }
        #expect(!t.isBorrowed)
        #expect(owner.buffer[1] == 2 && t.scalars == [9, -2, 3, 4])
    }

    @Test func borrowedTensorKeepsOwnerAlive() {
        weak var weakOwner: Owner?
        var t: Tensor
        do {
            let owner = Owner([5, 6])
            weakOwner = owner
            t = Tensor(shape: [2], borrowing: owner.buffer, owner: owner)
        }
        #expect(weakOwner != nil)
        #expect(t.scalars == [5, 6])
        t = Tensor(zeros: [1])
        #expect(weakOwner == nil)
    }

    @Test func reshapedInfersOneDimension() {
        let t = Tensor(shape: [2, 3, 4], scalars: (0..<24).map(Float.init))
        #expect(t.reshaped([-1, 4]).shape == [6, 4])
        #expect(t.reshaped([2, -1]).shape == [2, 12])
        #expect(t.reshaped([24]).scalars == t.scalars)
    }

    @Test func transposeAndPermuteMatchIndexArithmetic() {
        let shape = [2, 3, 4, 5]
        let t = Tensor(shape: shape, scalars: (0..<120).map(Float.init))
        let p = t.permuted([2, 0, 3, 1])
        #expect(p.shape == [4, 2, 5, 3])
        for a in 0..<4 { for b in 0..<2 { for c in 0..<5 { for d in 0..<3 {
            #expect(p[a, b, c, d] == t[b, d, a, c])
        } } } }
        let tr = t.transposed(1, -1)
        #expect(tr.shape == [2, 5, 4, 3])
        #expect(tr[1, 4, 2, 0] == t[1, 0, 2, 4])
        #expect(Tensor(shape: [3], scalars: [1, 2, 3]).permuted([0]).scalars == [1, 2, 3])
        // The blocked path for the last two axes, with sizes that are not multiples of the block.
        let m = Tensor(shape: [3, 37, 70], scalars: (0..<(3 * 37 * 70)).map(Float.init))
        let mt = m.transposed(1, 2)
        #expect(mt.shape == [3, 70, 37])
        var mismatches = 0
        for a in 0..<3 { for b in 0..<70 { for c in 0..<37 where mt[a, b, c] != m[a, c, b] { mismatches += 1 } } }
        #expect(mismatches == 0)
    }

    @Test func sliceSelectConcatenateStack() {
        let t = Tensor(shape: [2, 3, 2], scalars: (0..<12).map(Float.init))
        let s = t.slice(axis: 1, range: 1..<3)
        #expect(s.shape == [2, 2, 2] && s.scalars == [2, 3, 4, 5, 8, 9, 10, 11])
        let first = t.select(axis: 1, index: 0)  // x[:, 0]
        #expect(first.shape == [2, 2] && first.scalars == [0, 1, 6, 7])
        let back = Tensor.concatenate([t.slice(axis: 1, range: 0..<1), s], axis: 1)
        #expect(back.shape == t.shape && back.scalars == t.scalars)
        let lastAxis = Tensor.concatenate([t, t.slice(axis: 2, range: 0..<1)], axis: -1)
        #expect(lastAxis.shape == [2, 3, 3] && lastAxis[1, 2, 2] == t[1, 2, 0] && lastAxis[1, 2, 1] == t[1, 2, 1])
        let stacked = Tensor.stack([first, first], axis: 1)
        #expect(stacked.shape == [2, 2, 2] && stacked.scalars == [0, 1, 0, 1, 6, 7, 6, 7])
        let stacked0 = Tensor.stack([first, first], axis: 0)
        #expect(stacked0.shape == [2, 2, 2] && stacked0.scalars == [0, 1, 6, 7, 0, 1, 6, 7])
    }
}
