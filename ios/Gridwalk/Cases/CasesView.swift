import GridwalkKit
import SwiftUI

/// Hazard cases: open / contested / status filters (the core's CaseFilter), overdue as
/// computed by the core; the campaign report from the toolbar.
struct CasesView: View {
    @Environment(SyncCoordinator.self) private var app
    @State private var openOnly = true
    @State private var contestedOnly = false
    @State private var status: Status?
    @State private var cases: [CaseSummary] = []
    @State private var error: String?

    var body: some View {
        List {
            Toggle(localized("cases_open_only"), isOn: $openOnly)
            Toggle(localized("cases_contested"), isOn: $contestedOnly)
            Picker(localized("cases_status"), selection: $status) {
                Text(localized("cases_status_any")).tag(Status?.none)
                ForEach([Status.unreported, .reported, .assigned, .inProgress, .rectified, .verified, .closed], id: \.self) {
                    Text(label($0)).tag(Optional($0))
                }
            }
            if let error { Text(error).foregroundStyle(.red) }
            ForEach(cases, id: \.caseId) { summary in
                NavigationLink(value: summary.caseId) { CaseRow(summary: summary) }
            }
        }
        .navigationTitle(localized("cases_title"))
        .toolbar {
            ToolbarItem(placement: .primaryAction) {
                NavigationLink(localized("cases_report")) { ReportView() }
            }
            ToolbarItem(placement: .secondaryAction) {
                NavigationLink(localized("cases_new")) { OpenCaseView() }
            }
        }
        .navigationDestination(for: String.self) { CaseDetailView(caseId: $0) }
        .refreshable { await load() }
        .task(id: "\(openOnly)-\(contestedOnly)-\(String(describing: status))") { await load() }
    }

    private func load() async {
        do {
            cases = try await app.core.cases(CaseFilter(status: status, openOnly: status == nil && openOnly, contestedOnly: contestedOnly))
            error = nil
        } catch {
            self.error = userMessage(error)
        }
    }
}

private struct CaseRow: View {
    let summary: CaseSummary

    var body: some View {
        VStack(alignment: .leading, spacing: 2) {
            Text([summary.category, summary.item, summary.severity.map { label($0) }, summary.unit]
                .compactMap { $0 }.joined(separator: " · "))
                .font(.caption)
            Text(summary.description)
            Text([label(summary.status), localized("cases_level", label(summary.level)), summary.department,
                  summary.dueMs.map { localized("cases_due", formatMs($0)) }].compactMap { $0 }.joined(separator: " · "))
                .font(.caption).foregroundStyle(.secondary)
            HStack {
                if summary.overdue { Text(localized("cases_overdue")).foregroundStyle(.red) }
                if summary.contested { Text(localized("cases_contested_badge")).foregroundStyle(.orange) }
                if summary.refusedEvents > 0 { Text(localized("cases_refused_badge")).foregroundStyle(.red) }
            }
            .font(.caption.bold())
        }
    }
}
