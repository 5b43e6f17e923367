import GridwalkKit
import SwiftUI

/// Collects what an action carries (a note; a department; rectification photos) and
/// forwards it. Nothing is checked here: the core refuses naming the rule, shown below.
struct CaseActionSheet: View {
    let caseId: String
    /// The case as shown, for its template's departments.
    let caseState: CaseState?
    let action: CaseAction
    let onDone: () -> Void
    @Environment(SyncCoordinator.self) private var app
    @Environment(\.dismiss) private var dismiss
    @State private var note = ""
    @State private var department: String?
    @State private var departments: [Department] = []
    @State private var reinspections: [InspectionSummary] = []
    @State private var reinspection: String?
    @State private var photos: [String] = []
    /// Where this sheet's camera files wait: on disk until the core has them, so a sheet
    /// opened again after the app was killed finds them.
    private var owner: CaptureOwner { .hazardCase(caseId) }
    @State private var busy = false
    @State private var error: String?

    var body: some View {
        NavigationStack {
            Form {
                if action.kind == .assigned {
                    Picker(localized("field_department"), selection: $department) {
                        Text(verbatim: "—").tag(String?.none)
                        ForEach(departments, id: \.code) { Text(inAppLanguage(zh: $0.nameZh, en: $0.nameEn)).tag(Optional($0.code)) }
                    }
                }
                if action.kind == .verified {
                    Picker(localized("action_verify_reinspection"), selection: $reinspection) {
                        Text(localized("action_verify_no_reinspection")).tag(String?.none)
                        ForEach(reinspections, id: \.id) { Text(verbatim: $0.submittedAt ?? $0.startedAt).tag(Optional($0.id)) }
                    }
                }
                if action.kind == .rectified {
                    PhotoCaptureButton(title: localized("action_fix_photos", photos.count), destination: { try app.core.captures.reserve(owner) }, paths: $photos, error: $error)
                }
                TextField(action.noteLabel, text: $note, axis: .vertical)
                if let error { Text(error).foregroundStyle(.red) }
            }
            .navigationTitle(action.title)
            .navigationBarTitleDisplayMode(.inline)
            .toolbar {
                ToolbarItem(placement: .cancellationAction) {
                    Button(localized("action_cancel")) { app.core.captures.discardAll(owner); dismiss() }
                }
                ToolbarItem(placement: .confirmationAction) {
                    Button(localized("action_record")) { Task { await record() } }.disabled(busy)
                }
            }
            .task {
                photos = app.core.captures.pending(owner).map(\.path)
                if action.kind == .verified, let site = caseState?.report?.siteId,
                   let inspector = try? await app.core.profile()?.name {
                    reinspections = (try? await app.core.reinspections(siteId: site, inspector: inspector)) ?? []
                    reinspection = reinspections.first?.id
                }
                if action.kind == .assigned, let caseState {
                    departments = (try? await app.core.departments(for: caseState)) ?? []
                }
            }
        }
    }

    /// Rectification photos are ingested first and referred to by hash. A refusal keeps
    /// the sheet open with the rule's words; success reloads the case.
    private func record() async {
        busy = true
        defer { busy = false }
        do {
            let hashes = try await app.core.ingest(photos)
            let text = note.trimmingCharacters(in: .whitespacesAndNewlines)
            _ = try await app.core.act(caseId, action.payload(note: text, department: department, photos: hashes, reinspection: reinspection))
            app.core.captures.remove(owner, photos.map { URL(fileURLWithPath: $0) })
            onDone()
            dismiss()
        } catch {
            self.error = userMessage(error)
        }
    }
}
