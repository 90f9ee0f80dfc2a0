import AltCLIPTensor
import AltCLIPHub
import AltCLIPImage
import Foundation

extension AltCLIPPipeline {
    /// Loads a model the way transformers' `from_pretrained` does: `pretrained` is a local folder, or a
    /// hub id `ORG/NAME[@REVISION]` (e.g. "BAAI/AltCLIP") found in the Hugging Face cache (`HF_HOME`,
    /// `HF_HUB_CACHE`) or downloaded into it (resumable, checksum-verified; `HF_HUB_OFFLINE`,
    /// `HF_ENDPOINT` and `HF_TOKEN` are honoured). `progress` reports downloads.
    public convenience init(pretrained: String, precision: ComputePrecision = .float32, hub: HubClient = HubClient(),
                            progress: HubClient.ProgressHandler? = nil) throws {
        try self.init(directory: try hub.resolve(pretrained, progress: progress), precision: precision)
    }
}
