import AltCLIPTensor
import Foundation
import Testing

/// Every activation transformers' `ACT2FN` has, against its own float32 outputs (Tests/Fixtures/activations.json,
/// written by Scripts/make_activation_fixtures.py with the pinned transformers and torch).
@Suite("Activations against transformers' ACT2FN")
struct ActivationParityTests {
    struct Fixture: Decodable {
        var x: [Float]
        var outputs: [String: [Float]]
        var learned_parameters: [String]
    }

    static let fixture: Fixture = {
        var url = URL(fileURLWithPath: #filePath)
        while url.lastPathComponent != "Tests" { url.deleteLastPathComponent() }
        let data = try! Data(contentsOf: url.appendingPathComponent("Fixtures/activations.json"))
        return try! JSONDecoder().decode(Fixture.self, from: data)
    }()

    /// Each parameter-free name is an `Activation` and gives torch's numbers (a few float32 ulp, with a
    /// small absolute floor where 1 + erf(·) cancels); the names with learned parameters are not.
    @Test(arguments: fixture.outputs.keys.sorted())
    func matchesTransformers(name: String) throws {
        let act = try #require(Activation(rawValue: name), "\(name) is in ACT2FN but not supported")
        let expected = Self.fixture.outputs[name]!
        let x = Tensor(shape: [Self.fixture.x.count], scalars: Self.fixture.x)
        let got = Ops.activate(x, act).scalars
        for (i, (g, e)) in zip(got, expected).enumerated() {
            #expect(abs(g - e) <= 3e-6 + 3e-6 * abs(e), "\(name)(\(Self.fixture.x[i])) = \(g), torch \(e)")
        }
    }

    @Test func everySupportedActivationIsCoveredAndLearnedOnesAreNot() {
        #expect(Set(Activation.allCases.map(\.rawValue)) == Set(Self.fixture.outputs.keys))
        #expect(Self.fixture.learned_parameters.sorted() == ["prelu", "xielu"])
        for name in Self.fixture.learned_parameters { #expect(Activation(rawValue: name) == nil) }
    }
}
