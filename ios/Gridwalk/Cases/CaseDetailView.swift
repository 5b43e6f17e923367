import GridwalkKit
import SwiftUI

/// A hazard case: state, deadline, flags, history, and exactly the core's allowed actions.
struct CaseDetailView: View {
    let caseId: String
    @Environment(SyncCoordinator.self) private var app
    @State private var view: CaseView?
    @State private var acting: CaseAction?
    @State private var error: String?
    /// A re-inspection just started from this case, opened in the checklist.
    @State private var reinspection: String?

    var body: some View {
        List {
            if let error { Text(error).foregroundStyle(.red) }
            if let view {
                Section(localized("case_section_state")) {
                    StateSummary(view: view)
                    // Every photo the case's events name, a pulled one badged while pending.
                    EvidenceStrip(photos: view.photos)
                }
                Section(localized("case_section_actions")) {
                    ForEach(CaseAction.from(view.allowedActions)) { action in
                        Button(action.title) { acting = action }
                    }
                    // Checking a fix on site: a re-inspection, which "verified" then names.
                    if view.allowedActions.contains(where: { $0.kind == .verified }), let site = view.state.report?.siteId {
                        Button(localized("action_start_reinspection")) { Task { await startReinspection(site) } }
                    }
                }
                Section(localized("case_history")) {
                    ForEach(view.events, id: \.id) { event in
                        EventRow(event: event, ignoredBy: view.state.ignored.first { $0.event == event.id }?.rule,
                                 refused: view.refused.first { $0.event == event.id })
                    }
                }
            }
        }
        .navigationTitle(view?.state.report?.description ?? localized("case_title"))
        .task { await load() }
        .navigationDestination(item: $reinspection) { ChecklistView(inspectionId: $0) }
        .sheet(item: $acting) { action in
            CaseActionSheet(caseId: caseId, caseState: view?.state, action: action) { Task { await load() } }
        }
    }

    private func load() async {
        do { view = try await app.core.hazardCase(caseId); error = nil }
        catch { self.error = userMessage(error) }
    }

    private func startReinspection(_ siteId: String) async {
        do {
            let inspector = try await app.core.profile()?.name ?? ""
            reinspection = try await app.core.startInspection(siteId: siteId, kind: .reinspection, inspector: inspector)
        } catch {
            self.error = userMessage(error)
        }
    }
}

private struct StateSummary: View {
    let view: CaseView

    var body: some View {
        let s = view.state
        Text(localized("case_status", label(s.status), label(s.level)))
        if let department = s.department { Text(localized("case_department", department)) }
        if let report = s.report {
            Text(verbatim: "\(report.category)\(report.item.map { " / \($0)" } ?? "") · \(label(report.severity)) · \(report.unit)")
        }
        if let deadline = view.deadline {
            Text(deadline.overdue
                 ? localized("case_due_overdue", formatMs(deadline.dueMs)) : localized("case_due", formatMs(deadline.dueMs)))
                .foregroundStyle(deadline.overdue ? .red : .primary)
        }
        if let solved = s.solved { Text(localized("case_solved", label(solved.level), formatMs(solved.atMs))) }
        if !s.rectificationPhotos.isEmpty { Text(localized("case_rectification_photos", s.rectificationPhotos.count)) }
        // Flags the core raised for a human: concurrent edits, clocks that disagree.
        ForEach(Array(s.conflicts.enumerated()), id: \.offset) { _, conflict in
            Text(localized("case_conflict", label(conflict.kind))).foregroundStyle(.red)
        }
        ForEach(view.skew, id: \.event) { flag in
            Text(localized("case_clock_skew", flag.skewMs / 1000, flag.device, label(flag.kind))).foregroundStyle(.red)
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
            Text(localized("case_event_actor", formatMs(event.wallMs), event.actor.name, label(event.actor.role))).font(.caption)
            Text(describe(event.payload))
            if let ignoredBy { Text(localized("case_not_applied", label(ignoredBy))).font(.caption).foregroundStyle(.red) }
            if let refused { Text(localized("case_refused_by_server", refused.reason)).font(.caption).foregroundStyle(.red) }
        }
    }

    private func describe(_ payload: Payload) -> String {
        switch payload {
        case let .reported(report): localized("event_reported", report.description)
        case let .calledIn(level, note): localized("event_called_in", label(level), note)
        case let .assigned(department, note): localized("event_assigned", department, note)
        case let .accepted(note): localized("event_accepted", note)
        case let .progress(note): localized("event_progress", note)
        case let .rectified(photos, note): localized("event_rectified", localized("photo_count", photos.count), note)
        case let .verified(passed, _, note):
            passed ? localized("event_verified_fixed", note) : localized("event_verified_not_fixed", note)
        case let .reopened(reason): localized("event_reopened", reason)
        case let .closed(note): localized("event_closed", note)
        case let .comment(text): text
        }
    }
}
