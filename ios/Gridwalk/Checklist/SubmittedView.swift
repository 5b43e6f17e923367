import GridwalkKit
import SwiftUI

/// Submitted inspections on this phone, newest first; each opens its checklist, which
/// shows a submitted inspection read-only (the core has frozen it).
struct SubmittedView: View {
    @Environment(SyncCoordinator.self) private var app
    @State private var inspections: [InspectionSummary] = []
    @State private var error: String?

    var body: some View {
        List {
            if let error { Text(error).foregroundStyle(.red) }
            if inspections.isEmpty { Text(localized("submitted_empty")) }
            ForEach(inspections, id: \.id) { inspection in
                NavigationLink { ChecklistView(inspectionId: inspection.id) } label: {
                    VStack(alignment: .leading) {
                        Text(verbatim: inspection.siteName)
                        Text(localized("submitted_row", label(inspection.kind), inspection.inspector, inspection.submittedAt ?? ""))
                            .font(.caption)
                    }
                }
            }
        }
        .navigationTitle(localized("submitted_title"))
        .refreshable { await load() }
        .task { await load() }
    }

    private func load() async {
        do { inspections = try await app.core.submitted(); error = nil }
        catch { self.error = userMessage(error) }
    }
}
