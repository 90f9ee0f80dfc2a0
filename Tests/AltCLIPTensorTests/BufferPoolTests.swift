@testable import AltCLIPTensor
import Testing

/// Large activation buffers are reused by exact size; small ones are not pooled.
@Suite(.serialized) struct BufferPoolTests {
    @Test func reusesLargeBuffersByExactSize() {
        BufferPool.drain()
        let size = 3 << 20
        let a = BufferPool.take(byteCount: size)
        BufferPool.give(a, byteCount: size)
        let b = BufferPool.take(byteCount: size)
        #expect(a == b)
        let c = BufferPool.take(byteCount: size + 64)  // another size: a fresh buffer
        #expect(c != b)
        BufferPool.give(b, byteCount: size)
        BufferPool.give(c, byteCount: size + 64)
        BufferPool.drain()
        let small = BufferPool.take(byteCount: 4096)
        small.storeBytes(of: 7, as: Int.self)
        BufferPool.give(small, byteCount: 4096)
    }

    @Test func tensorsFromPooledBuffersAreIndependent() {
        BufferPool.drain()
        var first: Tensor? = Tensor(shape: [512, 1024], repeating: 1)  // 2 MB
        let firstSum = first!.scalars.reduce(0, +)
        first = nil
        let second = Tensor(shape: [512, 1024], repeating: 2)  // likely the same memory, fully rewritten
        #expect(firstSum == 512 * 1024 && second.scalars.allSatisfy { $0 == 2 })
        BufferPool.drain()
    }
}
