/// A storage named by a persistent id: `('storage', StorageType, key, location, numel)`.
struct TorchStorageRef {
    /// The record key: data lives in `<archive>/data/<key>`.
    let key: String
    /// Element type of a typed storage; nil for `UntypedStorage` (bytes).
    let dtype: WeightDType?
    /// Elements the pickle declares (bytes for untyped storages).
    let declaredCount: Int
    /// Bytes the archive record actually holds.
    let recordBytes: Int
    let entry: ZipArchive.Entry
}
