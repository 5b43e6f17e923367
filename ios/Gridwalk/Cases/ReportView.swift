import GridwalkKit
import SwiftUI

/// The campaign report over the cases on this phone, as the core computes it: totals, then
/// per category and per unit, with the cases still awaiting a report.
struct ReportView: View {
    @Environment(SyncCoordinator.self) private var app
    @State private var report: CampaignReport?
    @State private var error: String?

    var body: some View {
        List {
            if let error { Text(error).foregroundStyle(.red) }
            if let report {
                Section {
                    Text(localized("report_as_of", formatMs(report.asOfMs), Int(report.awaitingReport)))
                    ReportRowView(row: report.total)
                }
                Section(localized("report_by_category")) { ForEach(report.byCategory, id: \.key) { ReportRowView(row: $0) } }
                Section(localized("report_by_unit")) { ForEach(report.byUnit, id: \.key) { ReportRowView(row: $0) } }
            }
        }
        .navigationTitle(localized("report_title"))
        .refreshable { await load() }
        .task { await load() }
    }

    private func load() async {
        do {
            report = try await app.core.campaignReport(asOfMs: Int64(Date().timeIntervalSince1970 * 1000))
            error = nil
        } catch {
            self.error = userMessage(error)
        }
    }
}

private struct ReportRowView: View {
    let row: ReportRow

    var body: some View {
        VStack(alignment: .leading, spacing: 2) {
            Text(verbatim: row.name)
            Text(localized(
                "report_row", Int(row.found), Int(row.open), Int(row.overdue), Int(row.rectified), Int(row.verified),
                Int(row.closed), Int(row.solvedCommunity), Int(row.solvedStreet), Int(row.solvedDistrict)))
                .font(.caption).foregroundStyle(.secondary)
        }
    }
}
