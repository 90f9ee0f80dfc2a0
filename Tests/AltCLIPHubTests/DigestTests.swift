import Foundation
import Testing
@testable import AltCLIPHub

@Suite("SHA-256 and SHA-1")
struct DigestTests {
    /// FIPS 180-4 / NIST example vectors.
    @Test("SHA-256 of the standard test messages", arguments: [
        ("", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
        ("abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
        ("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
         "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"),
    ])
    func sha256Vectors(message: String, digest: String) {
        #expect(SHA256.hexDigest(Array(message.utf8)) == digest)
    }

    @Test("SHA-256 of a million 'a', fed in uneven pieces")
    func sha256MillionA() {
        let message = [UInt8](repeating: UInt8(ascii: "a"), count: 1_000_000)
        var hasher = SHA256()
        var offset = 0
        var step = 1
        while offset < message.count {
            let end = min(message.count, offset + step)
            message[offset..<end].withUnsafeBytes { hasher.update($0) }
            offset = end
            step = step * 3 % 997 + 1  // crosses block boundaries at every offset mod 64
        }
        #expect(hexString(hasher.finalize()) == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

    /// The weights fixtures' manifest holds hashes computed by Python's hashlib.
    @Test("SHA-256 of every weights fixture file equals Python's hashlib")
    func sha256MatchesManifest() throws {
        let folder = HubFixtures.fixtures.appendingPathComponent("weights")
        let manifest = try JSONSerialization.jsonObject(with: Data(contentsOf: folder.appendingPathComponent("manifest.json")))
        let hashes = try #require((manifest as? [String: Any])?["sha256"] as? [String: String])
        #expect(hashes.count > 10)
        for (name, expected) in hashes {
            #expect(SHA256.hexDigest(try HubFixtures.bytes(folder.appendingPathComponent(name))) == expected, "\(name)")
        }
    }

    @Test("SHA-1 of the standard test messages", arguments: [
        ("", "da39a3ee5e6b4b0d3255bfef95601890afd80709"),
        ("abc", "a9993e364706816aba3e25717850c26c9cd0d89d"),
        ("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", "84983e441c3bd26ebaae4aa1f95129e5e54670f1"),
    ])
    func sha1Vectors(message: String, digest: String) {
        var hasher = SHA1()
        hasher.update(Array(message.utf8))
        #expect(hexString(hasher.finalize()) == digest)
    }

    /// `git hash-object` of an empty file and of "hello\n".
    @Test("git blob ids", arguments: [("", "e69de29bb2d1d6434b8b29ae775ad8c2e48c5391"),
                                       ("hello\n", "ce013625030ba8dba906f756967f9e9ca394464a")])
    func gitBlobIds(content: String, id: String) {
        #expect(FakeHub.gitETag(Array(content.utf8)) == id)
    }

    @Test("the verifier picks the hash from the ETag's form and reports the digest it computed")
    func verifierKinds() throws {
        let content = Array("hello\n".utf8)
        var git = try #require(ContentVerifier(etag: "ce013625030ba8dba906f756967f9e9ca394464a", size: 6))
        content.withUnsafeBytes { git.update($0) }
        #expect(git.mismatch() == nil && git.algorithm == "git blob SHA-1")
        var lfs = try #require(ContentVerifier(etag: SHA256.hexDigest(content).uppercased(), size: nil))
        content.withUnsafeBytes { lfs.update($0) }
        #expect(lfs.mismatch() == nil)
        var wrong = try #require(ContentVerifier(etag: String(repeating: "0", count: 64), size: nil))
        content.withUnsafeBytes { wrong.update($0) }
        #expect(wrong.mismatch() == SHA256.hexDigest(content))
        #expect(ContentVerifier(etag: "not-a-hash", size: 6) == nil)
        #expect(ContentVerifier(etag: "ce013625030ba8dba906f756967f9e9ca394464a", size: nil) == nil)
    }
}
