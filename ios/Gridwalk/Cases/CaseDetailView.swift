import Gridwalk
import SwiftUI

/// A hazard case: state, deadline, flags, history, and exactly the core's allowed actions.
struct CaseDetailView: View {
    let caseId: String
    @Environment(SyncCoordinator.self) private var app
    @State private var view: CaseView?
    @State private var acting: CaseAction?
    @State private var error: String?

    var body: some View {
        List {
            if let error { Text(error).foregroundStyle(.red) }
            if let view {
                Section("State") { StateSummary(view: view) }
                Section("Actions") {
                    ForEach(CaseAction.from(view.allowedActions)) { action in
                        Button(action.title) { acting = action }
                    }
                }
                Section("History") {
                    ForEach(view.events, id: \.id) { event in
                        EventRow(event: event, ignoredBy: view.state.ignored.first { $0.event == event.id }?.rule,
                                 refused: view.refused.first { $0.event == event.id })
                    }
                }
            }
        }
        .navigationTitle(view?.state.report?.description ?? "Case")
        .task { await load() }
        .sheet(item: $acting) { action in
            CaseActionSheet(caseId: caseId, action: action) { Task { await load() } }
        }
    }

    private func load() async {
        do { view = try await app.core.hazardCase(caseId); error = nil }
        catch { self.error = userMessage(error) }
    }
}

private struct StateSummary: View {
    let view: CaseView

    var body: some View {
        let s = view.state
        Text("Status: \(label(s.status)) · level \(label(s.level))")
        if let department = s.department { Text("Department: \(department)") }
        if let report = s.report {
            Text("\(report.category)\(report.item.map { " / \($0)" } ?? "") · \(label(report.severity)) · \(report.unit)")
        }
        if let deadline = view.deadline {
            Text("Due \(formatMs(deadline.dueMs))\(deadline.overdue ? " — OVERDUE" : "")")
                .foregroundStyle(deadline.overdue ? .red : .primary)
        }
        if let solved = s.solved { Text("Solved at \(label(solved.level)) level, \(formatMs(solved.atMs))") }
        if !s.rectificationPhotos.isEmpty { Text("Rectification photos: \(s.rectificationPhotos.count)") }
        // Flags the core raised for a human: concurrent edits, clocks that disagree.
        ForEach(Array(s.conflicts.enumerated()), id: \.offset) { _, conflict in
            Text("Conflict: \(String(describing: conflict.kind))").foregroundStyle(.red)
        }
        ForEach(view.skew, id: \.event) { flag in
            Text("Clock skew \(flag.skewMs / 1000)s on device \(flag.device) (\(label(flag.kind)))").foregroundStyle(.red)
        }
    }
}

private struct EventRow: View {
    let event: Event
    let ignoredBy: Rule?
    /// The server refused this event: shown, but not counted in the case's state.
    let refused: ServerRefusal?

    var body: some View {
        VStack(alignment: .leading, spacing: 2) {
            Text("\(formatMs(event.wallMs)) · \(event.actor.name) (\(label(event.actor.role)))").font(.caption)
            Text(describe(event.payload))
            if let ignoredBy { Text("Not applied: rule \(label(ignoredBy))").font(.caption).foregroundStyle(.red) }
            if let refused { Text("Refused by the server: \(refused.reason)").font(.caption).foregroundStyle(.red) }
        }
    }

    private func describe(_ payload: Payload) -> String {
        switch payload {
        case let .reported(report): "Reported: \(report.description)"
        case let .calledIn(level, note): "Called in to \(label(level)): \(note)"
        case let .assigned(department, note): "Assigned to \(department): \(note)"
        case let .accepted(note): "Accepted: \(note)"
        case let .progress(note): "Progress: \(note)"
        case let .rectified(photos, note): "Rectified (\(photos.count) photo(s)): \(note)"
        case let .verified(passed, _, note): "Verified \(passed ? "fixed" : "NOT fixed"): \(note)"
        case let .reopened(reason): "Reopened: \(reason)"
        case let .closed(note): "Closed: \(note)"
        case let .comment(text): text
        }
    }
}
