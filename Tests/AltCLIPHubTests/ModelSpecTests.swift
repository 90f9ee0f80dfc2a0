import Testing
@testable import AltCLIPHub

@Suite("ModelSpec")
struct ModelSpecTests {
    @Test("ORG/NAME[@REVISION] parses", arguments: [
        ("BAAI/AltCLIP", "BAAI/AltCLIP", "main"),
        ("BAAI/AltCLIP-m18@main", "BAAI/AltCLIP-m18", "main"),
        ("BAAI/AltCLIP@refs/pr/7", "BAAI/AltCLIP", "refs/pr/7"),
        ("BAAI/AltCLIP@b989a7bc9f73809acc4df8265e63174c74791ba6", "BAAI/AltCLIP", "b989a7bc9f73809acc4df8265e63174c74791ba6"),
        ("gpt2", "gpt2", "main"),
        ("my_org.x/model_v1.5@v1.0", "my_org.x/model_v1.5", "v1.0"),
    ])
    func parses(text: String, repoId: String, revision: String) throws {
        let spec = try ModelSpec(parsing: text)
        #expect(spec.repoId == repoId && spec.revision == revision)
        #expect(try ModelSpec(parsing: spec.description) == spec)
    }

    @Test("folder name, commit detection and description")
    func derivedValues() throws {
        let spec = try ModelSpec(parsing: "BAAI/AltCLIP@b989a7bc9f73809acc4df8265e63174c74791ba6")
        #expect(spec.cacheFolderName == "models--BAAI--AltCLIP")
        #expect(spec.isCommitHash)
        #expect(try ModelSpec(parsing: "gpt2").cacheFolderName == "models--gpt2")
        #expect(try !ModelSpec(parsing: "a/b@B989A7BC9F73809ACC4DF8265E63174C74791BA6").isCommitHash)  // hub hashes are lowercase
        #expect(try ModelSpec(parsing: "a/b@main").description == "a/b")
        #expect(try ModelSpec(parsing: "a/b@v2").description == "a/b@v2")
    }

    @Test("invalid specs are refused with the reason", arguments: [
        "", "a/b/c", "/b", "a/", "a--b/c", "a/b..c", "-a/b", "a/b-", "a/b.git", "a b/c", "a/b@", "a/b@refs/../x",
        "a/b@/main", "a/b@x//y", "a/b@two words", "ä/b", String(repeating: "a", count: 97) + "/b",
    ])
    func invalid(text: String) {
        expectHubError("invalidModelSpec", matching: {
            if case let .invalidModelSpec(spec, reason) = $0 { return spec == text || !reason.isEmpty }
            return false
        }) { _ = try ModelSpec(parsing: text) }
    }
}
