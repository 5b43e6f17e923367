import Foundation
import GridwalkKit

/// What the last sync did, kept across launches for the Sync screen. A display cache:
/// losing it loses no record. Counts are kept by `SyncCount`, not by their words, so they
/// show in the language of the moment; `failure` is the sentence shown when it failed.
struct LastSync: Codable {
    var at = Date()
    var failure: String?
    var counts: [Count] = []
    var refused: [String] = []
    var problems: [String] = []

    struct Count: Codable, Hashable {
        let kind: SyncCount
        let value: UInt64

        /// The count's words in the app's language.
        var label: String { kind.label }
    }

    init(failure: String) { self.failure = failure }

    init(report: SyncReport) {
        counts = [
            Count(kind: .pushed, value: UInt64(report.pushed)),
            Count(kind: .accepted, value: UInt64(report.accepted)),
            Count(kind: .duplicates, value: UInt64(report.duplicates)),
            Count(kind: .pulled, value: UInt64(report.pulled)),
            Count(kind: .pulledNew, value: UInt64(report.pulledNew)),
            Count(kind: .uploaded, value: UInt64(report.uploadedBlobs)),
            Count(kind: .downloaded, value: UInt64(report.downloadedBlobs)),
        ]
        // Refused records stay on the phone; the user must see why they did not go.
        // Worded now, in the language of this moment: a record of what happened.
        refused = (report.rejected + report.heldBack).map {
            localized("sync_rejected", $0.id, words(rejection(code: $0.code, reason: $0.reason)))
        }
        problems = report.errors
    }

    private static let key = "gridwalk.lastSync"

    /// A cache from an older app (counts keyed by English words) fails to decode and is
    /// dropped: the next sync writes a new one.
    static func load() -> LastSync? {
        UserDefaults.standard.data(forKey: key).flatMap { try? JSONDecoder().decode(LastSync.self, from: $0) }
    }

    func save() {
        if let data = try? JSONEncoder().encode(self) { UserDefaults.standard.set(data, forKey: Self.key) }
    }
}

/// The figures of a sync report the Sync screen lists.
enum SyncCount: String, Codable, Hashable {
    case pushed, accepted, duplicates, pulled, pulledNew, uploaded, downloaded

    var label: String {
        switch self {
        case .pushed: localized("sync_count_pushed")
        case .accepted: localized("sync_count_accepted")
        case .duplicates: localized("sync_count_duplicates")
        case .pulled: localized("sync_count_pulled")
        case .pulledNew: localized("sync_count_pulled_new")
        case .uploaded: localized("sync_count_uploaded")
        case .downloaded: localized("sync_count_downloaded")
        }
    }
}
