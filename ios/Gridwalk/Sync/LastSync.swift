import Foundation
import Gridwalk

/// What the last sync did, kept across launches for the Sync screen. A display cache:
/// losing it loses no record.
struct LastSync: Codable {
    var at = Date()
    var failure: String?
    var counts: [Count] = []
    var refused: [String] = []
    var problems: [String] = []

    struct Count: Codable, Hashable {
        let name: String
        let value: UInt64
    }

    init(failure: String) { self.failure = failure }

    init(report: SyncReport) {
        counts = [
            Count(name: "records sent", value: UInt64(report.pushed)),
            Count(name: "accepted by server", value: UInt64(report.accepted)),
            Count(name: "already on server", value: UInt64(report.duplicates)),
            Count(name: "records received", value: UInt64(report.pulled)),
            Count(name: "new to this phone", value: UInt64(report.pulledNew)),
            Count(name: "photos uploaded", value: UInt64(report.uploadedBlobs)),
            Count(name: "photos downloaded", value: UInt64(report.downloadedBlobs)),
        ]
        // Refused records stay on the phone; the user must see why they did not go.
        refused = (report.rejected + report.heldBack).map { "\($0.kind) \($0.id): \($0.reason)" }
        problems = report.errors
    }

    private static let key = "gridwalk.lastSync"

    static func load() -> LastSync? {
        UserDefaults.standard.data(forKey: key).flatMap { try? JSONDecoder().decode(LastSync.self, from: $0) }
    }

    func save() {
        if let data = try? JSONEncoder().encode(self) { UserDefaults.standard.set(data, forKey: Self.key) }
    }
}
