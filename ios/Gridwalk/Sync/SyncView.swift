import GridwalkKit
import SwiftUI

/// Who this phone is, what waits to be sent, the running and the last sync, "sync now".
struct SyncView: View {
    @Environment(SyncCoordinator.self) private var app

    var body: some View {
        List {
            Section {
                if let profile = app.profile {
                    Text(verbatim: "\(profile.name) · \(label(profile.role)) · \(profile.unit)")
                } else {
                    Text(localized("sync_not_enrolled"))
                    NavigationLink(localized("sync_enrol_phone")) { EnrolView() }
                }
            }
            Section(localized("sync_section_now")) {
                if let pending = app.pending {
                    Text(localized(
                        "sync_pending",
                        localized("record_count", Int(pending.records)), localized("photo_count", Int(pending.photos))))
                }
                if let progress = app.progress {
                    Text(localized("sync_running", label(progress.phase), Int(progress.done), Int(progress.total)))
                    if progress.total > 0 { ProgressView(value: Double(progress.done), total: Double(progress.total)) }
                } else if app.isSyncing {
                    ProgressView(localized("sync_in_progress"))
                }
                Button(localized("sync_now")) { Task { await app.syncNow() } }
                    .disabled(app.profile == nil || app.isSyncing)
                if let error = app.error { Text(error).foregroundStyle(.red) }
            }
            if let last = app.last {
                Section(localized("sync_last", last.at.formatted(date: .abbreviated, time: .shortened))) {
                    if let failure = last.failure { Text(localized("sync_failed", failure)).foregroundStyle(.red) }
                    // Sync stopped: the server no longer accepts this phone; enrolling again is the fix.
                    if app.stopped?.reenrol == true {
                        NavigationLink(localized("sync_enrol_again")) { EnrolView() }
                    }
                    ForEach(last.counts, id: \.self) { LabeledContent($0.label, value: "\($0.value)") }
                    if !last.refused.isEmpty {
                        Text(localized("sync_refused_header")).foregroundStyle(.red)
                        ForEach(last.refused, id: \.self) { Text($0).font(.caption) }
                    }
                    ForEach(last.problems, id: \.self) { Text($0).font(.caption) }
                }
            }
        }
        .navigationTitle(localized("sync_title"))
        .refreshable { await app.refresh() }
        .task { await app.refresh() }
    }
}
