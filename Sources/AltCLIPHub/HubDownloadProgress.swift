/// Progress of one file's download, reported to the `progress` closure of `HubClient.resolve`.
///
/// Reports come from a background thread, one at a time, in order: `.started`, then `.downloading`
/// as bytes arrive (at most every 256 KiB), `.retrying` after a failed attempt that will resume, and
/// `.finished` once the file is verified and in place.
public struct HubDownloadProgress: Sendable, Equatable {
    /// What happened.
    public enum Phase: Sendable, Equatable {
        /// The download of this file starts (`completedBytes` > 0 when a partial file is resumed).
        case started
        /// More bytes arrived.
        case downloading
        /// The attempt failed; the next one resumes from `completedBytes`.
        case retrying(attempt: Int, reason: String)
        /// The file is complete, verified and linked into the snapshot.
        case finished
    }

    /// `ORG/NAME`.
    public let repoId: String
    /// The file's path in the repository, e.g. `pytorch_model.bin`.
    public let file: String
    /// 1-based position of this file among the files this call downloads.
    public let fileNumber: Int
    /// How many files this call downloads (files already cached are not counted).
    public let fileCount: Int
    /// Bytes of this file on disk so far.
    public let completedBytes: Int64
    /// The file's size, when the hub announced it.
    public let totalBytes: Int64?
    /// What happened.
    public let phase: Phase

    /// Creates a report.
    public init(repoId: String, file: String, fileNumber: Int, fileCount: Int, completedBytes: Int64,
                totalBytes: Int64?, phase: Phase) {
        self.repoId = repoId
        self.file = file
        self.fileNumber = fileNumber
        self.fileCount = fileCount
        self.completedBytes = completedBytes
        self.totalBytes = totalBytes
        self.phase = phase
    }
}
