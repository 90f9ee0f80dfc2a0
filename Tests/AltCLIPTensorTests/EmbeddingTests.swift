import AltCLIPTensor
import Testing

@Suite("Embedding gather")
struct EmbeddingTests {
    @Test func gatherRows() throws {
        var rng = SeededRandom(seed: 40)
        let table = rng.tensor([11, 6])
        let ids = [0, 10, 3, 3, 7, 1]
        let out = try Ops.gather(table, ids: ids, shape: [2, 3])
        #expect(out.shape == [2, 3, 6])
        let expected = ids.flatMap { id in (0..<6).map { Double(table[id, $0]) } }
        expectClose("gather", out, shape: [2, 3, 6], expected, absolute: 0)
        let many = (0..<5000).map { $0 % 11 }
        let big = try Ops.gather(table, ids: many, shape: [50, 100])
        expectClose("gather threaded", big, shape: [50, 100, 6], many.flatMap { id in (0..<6).map { Double(table[id, $0]) } }, absolute: 0)
    }

    @Test func outOfRangeIdsThrow() {
        let table = Tensor(zeros: [4, 2])
        #expect(throws: TensorError.indexOutOfRange(operation: "gather", position: 2, id: 4, bound: 4)) {
            try Ops.gather(table, ids: [0, 1, 4], shape: [3])
        }
        #expect(throws: TensorError.indexOutOfRange(operation: "gather", position: 0, id: -1, bound: 4)) {
            try Ops.gather(table, ids: [-1], shape: [1, 1])
        }
    }

    @Test func shapeMismatchThrows() {
        let table = Tensor(zeros: [4, 2])
        #expect(throws: TensorError.shapeMismatch(operation: "gather", expected: "3 ids", actual: [2, 2])) {
            try Ops.gather(table, ids: [0, 1, 2], shape: [2, 2])
        }
        #expect(throws: TensorError.shapeMismatch(operation: "gather", expected: "a [V, D] table", actual: [8])) {
            try Ops.gather(Tensor(zeros: [8]), ids: [0], shape: [1])
        }
        let error = TensorError.indexOutOfRange(operation: "gather", position: 2, id: 9, bound: 4)
        #expect(error.description == "gather: index 9 at position 2 is out of range 0..<4")
        #expect(error.errorDescription == error.description)
    }
}
