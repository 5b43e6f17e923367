import GridwalkKit
import SwiftUI

/// One inspection's checklist, grouped by the template's categories, with progress.
/// Category and item titles are the template's, in the app's language (`inAppLanguage`).
struct ChecklistView: View {
    let inspectionId: String
    @Environment(SyncCoordinator.self) private var app
    @Environment(\.dismiss) private var dismiss
    @State private var checklist: Checklist?
    @State private var answering: ChecklistEntry?
    @State private var error: String?

    private var editable: Bool { checklist?.status == .draft }

    var body: some View {
        List {
            if let error { Text(error).foregroundStyle(.red) }
            if let checklist {
                if !editable { Text(localized("checklist_submitted")) }
                ForEach(checklist.categories, id: \.code) { category in
                    Section {
                        ForEach(category.entries, id: \.item.code) { entry in
                            Button { answering = entry } label: { EntryRow(entry: entry) }
                                .disabled(!editable)
                        }
                    } header: {
                        VStack(alignment: .leading) {
                            Text(verbatim: "\(inAppLanguage(zh: category.titleZh, en: category.titleEn))  \(category.answered)/\(category.applicable)")
                            ProgressView(value: Double(category.answered), total: Double(max(category.applicable, 1)))
                        }
                    }
                }
            }
        }
        .navigationTitle(
            checklist.map { localized("checklist_title_progress", Int($0.answered), Int($0.applicable)) }
                ?? localized("checklist_title"))
        .toolbar {
            if editable { Button(localized("checklist_submit")) { Task { await submit() } } }
        }
        .task { await load() }
        .sheet(item: $answering) { entry in
            AnswerSheet(inspectionId: inspectionId, entry: entry) { Task { await load() } }
        }
    }

    private func load() async {
        do { checklist = try await app.core.checklist(inspectionId); error = nil }
        catch { self.error = userMessage(error) }
    }

    /// Submits; an incomplete inspection comes back naming the items still to do.
    private func submit() async {
        do { try await app.core.submit(inspectionId); dismiss() }
        catch { self.error = userMessage(error) }
    }
}

extension ChecklistEntry: Identifiable {
    public var id: String { item.code }
}

private struct EntryRow: View {
    let entry: ChecklistEntry

    var body: some View {
        VStack(alignment: .leading, spacing: 2) {
            Text(inAppLanguage(zh: entry.item.titleZh, en: entry.item.titleEn))
            let answer = entry.answer
            let parts = [
                answer.map { label($0.outcome) } ?? localized("checklist_not_answered"),
                answer?.note,
                (answer?.photos.isEmpty == false) ? localized("photo_count", answer!.photos.count) : nil,
            ].compactMap { $0 }
            Text(parts.joined(separator: " · "))
                .font(.caption)
                .foregroundStyle(answer?.outcome == .hazard ? .red : .secondary)
            EvidenceStrip(photos: entry.photos)
        }
    }
}
