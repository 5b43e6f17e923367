import GridwalkKit
import SwiftUI

/// Answers one item: ok / hazard / not applicable, a note, photos. The item's title is
/// the template's, in the app's language; its guidance is the template's words, as given.
struct AnswerSheet: View {
    let inspectionId: String
    let entry: ChecklistEntry
    let onSaved: () -> Void
    @Environment(SyncCoordinator.self) private var app
    @Environment(\.dismiss) private var dismiss
    @State private var outcome: Outcome?
    @State private var note = ""
    @State private var photos: [String] = []
    /// Where this sheet's camera files wait: on disk until the core has them, so a sheet
    /// opened again after the app was killed finds them.
    private var owner: CaptureOwner { .answer(inspectionId: inspectionId, item: entry.item.code) }
    @State private var busy = false
    @State private var error: String?

    var body: some View {
        NavigationStack {
            Form {
                if !entry.item.guidance.isEmpty { Text(entry.item.guidance).font(.callout) }
                if entry.item.photoRequired { Text(localized("answer_photo_required")).font(.caption) }
                Picker(localized("answer_outcome"), selection: $outcome) {
                    ForEach([Outcome.ok, .hazard, .notApplicable], id: \.self) { Text(label($0)).tag(Optional($0)) }
                }
                .pickerStyle(.segmented)
                TextField(localized("field_note"), text: $note, axis: .vertical)
                PhotoCaptureButton(
                    title: entry.answer.map { localized("answer_add_photos", $0.photos.count, photos.count) }
                        ?? localized("answer_take_photos", photos.count),
                    destination: { try app.core.captures.reserve(owner) }, paths: $photos, error: $error)
                if let error { Text(error).foregroundStyle(.red) }
            }
            .navigationTitle(inAppLanguage(zh: entry.item.titleZh, en: entry.item.titleEn))
            .navigationBarTitleDisplayMode(.inline)
            .toolbar {
                ToolbarItem(placement: .cancellationAction) {
                    Button(localized("action_cancel")) { app.core.captures.discardAll(owner); dismiss() }
                }
                ToolbarItem(placement: .confirmationAction) {
                    Button(localized("action_save")) { Task { await save() } }.disabled(outcome == nil || busy)
                }
            }
            .onAppear {
                photos = app.core.captures.pending(owner).map(\.path)
                outcome = entry.answer?.outcome
                note = entry.answer?.note ?? ""
            }
        }
    }

    /// Records the answer; the core ingests the photos in the same call. Camera files are
    /// deleted only once the core holds its copy; on failure the sheet keeps them.
    private func save() async {
        guard let outcome else { return }
        busy = true
        defer { busy = false }
        do {
            let trimmed = note.trimmingCharacters(in: .whitespacesAndNewlines)
            if entry.answer != nil, entry.answer?.outcome == outcome, entry.answer?.note ?? "" == trimmed, !photos.isEmpty {
                // Same answer, more evidence: attach the new photos to it.
                for path in photos { try await app.core.addPhoto(inspectionId, item: entry.item.code, photoPath: path) }
            } else {
                try await app.core.answer(
                    inspectionId, item: entry.item.code, outcome: outcome,
                    note: trimmed.isEmpty ? nil : trimmed, photoPaths: photos)
            }
            app.core.captures.remove(owner, photos.map { URL(fileURLWithPath: $0) })
            onSaved()
            dismiss()
        } catch {
            self.error = userMessage(error)
        }
    }
}
