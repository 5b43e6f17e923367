import Foundation

/// What camera files are for: they wait in a folder of their own until the core has them.
public enum CaptureOwner: Hashable, Sendable {
    /// Photos for the answer to `item` of inspection `inspectionId`.
    case answer(inspectionId: String, item: String)
    /// Photos for an action on a case (rectification evidence).
    case hazardCase(String)
    /// Photos for a case being opened from a resident, hotline or online report.
    case newCase

    var folder: String {
        let parts: [String] = switch self {
        case let .answer(inspectionId, item): ["answer", inspectionId, item]
        case let .hazardCase(caseId): ["case", caseId]
        case .newCase: ["new-case"]
        }
        // Percent-encoded so no part can hold the separator or a slash.
        let allowed = CharacterSet.alphanumerics.union(CharacterSet(charactersIn: "-_."))
        return parts.map { $0.addingPercentEncoding(withAllowedCharacters: allowed) ?? $0 }.joined(separator: "~")
    }
}

/// Camera files between the shutter and the core, in Application Support (persistent,
/// excluded from backup with the store), never the temporary folder the system may empty.
/// The folder is the state, as on Android (`PendingCaptures.kt`): what waits survives the
/// app being killed, and a sheet opened again finds its photos. Files are deleted only
/// once the core has ingested them or the user cancels.
public final class PendingCaptures: @unchecked Sendable {
    private let root: URL
    private let files = FileManager.default

    public init(root: URL) { self.root = root }

    private func folder(_ owner: CaptureOwner) -> URL { root.appendingPathComponent(owner.folder, isDirectory: true) }

    /// A new file for one shot for `owner`, named so files sort in capture order.
    public func reserve(_ owner: CaptureOwner) throws -> URL {
        let dir = folder(owner)
        try files.createDirectory(at: dir, withIntermediateDirectories: true)
        let stamp = String(format: "%013.0f", Date().timeIntervalSince1970 * 1000)
        return dir.appendingPathComponent("\(stamp)-\(UUID().uuidString).jpg")
    }

    /// `owner`'s captures waiting for the core, in capture order.
    public func pending(_ owner: CaptureOwner) -> [URL] {
        let names = (try? files.contentsOfDirectory(atPath: folder(owner).path)) ?? []
        return names.filter { $0.hasSuffix(".jpg") }.sorted().map { folder(owner).appendingPathComponent($0) }
    }

    /// The core has its own copies of `urls` (or the user cancelled): they go. Only files
    /// in `owner`'s folder are ever deleted through here.
    public func remove(_ owner: CaptureOwner, _ urls: [URL]) {
        let dir = folder(owner).standardizedFileURL.path
        for url in urls where url.standardizedFileURL.deletingLastPathComponent().path == dir {
            try? files.removeItem(at: url)
        }
    }

    /// The user cancelled: all of `owner`'s waiting photos are deleted.
    public func discardAll(_ owner: CaptureOwner) { remove(owner, pending(owner)) }
}
