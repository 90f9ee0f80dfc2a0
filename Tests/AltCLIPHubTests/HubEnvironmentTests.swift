import Foundation
import Testing
@testable import AltCLIPHub

@Suite("HubClient settings from the environment")
struct HubEnvironmentTests {
    @Test("cache folder: HF_HUB_CACHE, then HUGGINGFACE_HUB_CACHE, then HF_HOME/hub, XDG_CACHE_HOME, ~/.cache")
    func cacheDirectory() {
        let home = ["HOME": "/home/u"]
        #expect(HubClient.cacheDirectory(environment: home).path == "/home/u/.cache/huggingface/hub")
        #expect(HubClient.cacheDirectory(environment: home.merging(["XDG_CACHE_HOME": "/x"]) { $1 }).path == "/x/huggingface/hub")
        #expect(HubClient.cacheDirectory(environment: home.merging(["HF_HOME": "~/hf"]) { $1 }).path == "/home/u/hf/hub")
        #expect(HubClient.cacheDirectory(environment: home.merging(["HF_HOME": "/h", "HUGGINGFACE_HUB_CACHE": "/old"]) { $1 }).path == "/old")
        #expect(HubClient.cacheDirectory(environment: home.merging(["HF_HOME": "/h", "HF_HUB_CACHE": "/c",
                                                                   "HUGGINGFACE_HUB_CACHE": "/old"]) { $1 }).path == "/c")
        #expect(HubClient.cacheDirectory(environment: home.merging(["HF_HUB_CACHE": ""]) { $1 }).path
            == "/home/u/.cache/huggingface/hub")
    }

    @Test("endpoint: HF_ENDPOINT without trailing slashes, else huggingface.co")
    func endpoint() {
        #expect(HubClient.endpoint(environment: [:]) == "https://huggingface.co")
        #expect(HubClient.endpoint(environment: ["HF_ENDPOINT": "https://hf-mirror.com//"]) == "https://hf-mirror.com")
        #expect(HubClient(environment: ["HF_ENDPOINT": "http://127.0.0.1:1/"]).endpoint == "http://127.0.0.1:1")
    }

    @Test("token: HF_TOKEN, then HUGGING_FACE_HUB_TOKEN, then the token file; whitespace trimmed")
    func token() throws {
        let folder = try HubFixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: folder) }
        try Data("  hf_file\n".utf8).write(to: folder.appendingPathComponent("token"))
        let base = ["HOME": "/nonexistent", "HF_HOME": folder.path]
        #expect(HubClient.token(environment: base) == "hf_file")
        #expect(HubClient.token(environment: base.merging(["HUGGING_FACE_HUB_TOKEN": "hf_old"]) { $1 }) == "hf_old")
        #expect(HubClient.token(environment: base.merging(["HF_TOKEN": " hf_new ", "HUGGING_FACE_HUB_TOKEN": "x"]) { $1 }) == "hf_new")
        #expect(HubClient.token(environment: ["HOME": "/nonexistent", "HF_TOKEN_PATH": folder.appendingPathComponent("token").path])
            == "hf_file")
        #expect(HubClient.token(environment: ["HOME": "/nonexistent", "HF_HOME": "/nonexistent"]) == nil)
        #expect(HubClient(environment: ["HF_HOME": "/nonexistent", "HF_TOKEN": ""]).token == nil)
    }

    @Test("offline: HF_HUB_OFFLINE or TRANSFORMERS_OFFLINE in 1/ON/YES/TRUE, any case")
    func offline() {
        for value in ["1", "on", "YES", "True"] { #expect(HubClient.isOffline(environment: ["HF_HUB_OFFLINE": value])) }
        for value in ["0", "false", "", "no"] { #expect(!HubClient.isOffline(environment: ["HF_HUB_OFFLINE": value])) }
        #expect(HubClient.isOffline(environment: ["TRANSFORMERS_OFFLINE": "1"]))
        #expect(!HubClient.isOffline(environment: [:]))
    }
}
