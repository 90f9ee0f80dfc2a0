import Testing

/// The comparison helper must report the worst element, not just pass everything.
@Suite("Reference comparison helper")
struct ClosenessTests {
    let reference = FixtureTensor(name: "x", shape: [2, 3], values: .float([0, 1, -2, 100, 0.5, 3]))

    @Test func withinTolerancePasses() {
        let result = Closeness.compare([0.00009, 1.001, -2.002, 100.09, 0.5, 3], shape: [2, 3], to: reference)
        #expect(result.passed)
    }

    @Test func reportsWorstIndexAndDifference() {
        let result = Closeness.compare([0, 1, -2, 100, 0.51, 3.0035], shape: [2, 3], to: reference)
        #expect(!result.passed)
        #expect(result.failures == 2)
        #expect(result.worstIndex == [1, 1])
        #expect(abs(result.maxAbsDiff - 0.01) < 1e-6)
        #expect(result.description.contains("x: max |diff|"))
    }

    @Test func shapeMismatchFails() {
        let result = Closeness.compare([0, 1, -2, 100, 0.5, 3], shape: [3, 2], to: reference)
        #expect(!result.passed && result.shapeMismatch != nil)
    }

    @Test func nanFails() {
        let result = Closeness.compare([0, .nan, -2, 100, 0.5, 3], shape: [2, 3], to: reference)
        #expect(!result.passed && result.worstIndex == [0, 1])
    }
}
