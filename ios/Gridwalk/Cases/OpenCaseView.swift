import GridwalkKit
import SwiftUI

/// Opens a case from a resident, hotline or online report: source, category and item (from
/// the templates, in the app's language), severity, the site (its unit follows) or else an
/// area, a description and photos. Whether this person may record it is the core's rule; a
/// refusal is shown with the rule's words and the form keeps everything.
struct OpenCaseView: View {
    @Environment(SyncCoordinator.self) private var app
    @Environment(\.dismiss) private var dismiss
    private let sources: [ReportSource] = [.resident, .hotline, .onlinePlatform]
    @State private var sourceIndex = 0
    @State private var templates: [Template] = []
    @State private var sites: [Site] = []
    @State private var units: [OrgUnit] = []
    @State private var category: String?
    @State private var item: String?
    @State private var severity = Severity.medium
    @State private var site: String?
    @State private var unit: String?
    @State private var description = ""
    @State private var photos: [String] = []
    @State private var busy = false
    @State private var error: String?
    /// Photos for a report wait in their own folder until the core has them.
    private let owner = CaptureOwner.newCase

    private var categories: [Category] { templates.first?.categories ?? [] }

    var body: some View {
        Form {
            Picker(localized("open_case_source"), selection: $sourceIndex) {
                Text(localized("source_resident")).tag(0)
                Text(localized("source_hotline")).tag(1)
                Text(localized("source_online")).tag(2)
            }
            Picker(localized("open_case_category"), selection: $category) {
                Text(verbatim: "—").tag(String?.none)
                ForEach(categories, id: \.code) { Text(inAppLanguage(zh: $0.titleZh, en: $0.titleEn)).tag(Optional($0.code)) }
            }
            if let chosen = categories.first(where: { $0.code == category }) {
                Picker(localized("open_case_item"), selection: $item) {
                    Text(verbatim: "—").tag(String?.none)
                    ForEach(chosen.items, id: \.code) { Text(inAppLanguage(zh: $0.titleZh, en: $0.titleEn)).tag(Optional($0.code)) }
                }
            }
            Picker(localized("open_case_severity"), selection: $severity) {
                ForEach([Severity.low, .medium, .high, .critical], id: \.self) { Text(label($0)).tag($0) }
            }
            Picker(localized("open_case_site"), selection: $site) {
                Text(verbatim: "—").tag(String?.none)
                ForEach(sites, id: \.id) { Text(verbatim: $0.name).tag(Optional($0.id)) }
            }
            if site == nil {
                Picker(localized("open_case_unit"), selection: $unit) {
                    Text(verbatim: "—").tag(String?.none)
                    ForEach(units, id: \.id) { Text(verbatim: $0.name).tag(Optional($0.id)) }
                }
            }
            TextField(localized("open_case_description"), text: $description, axis: .vertical)
            PhotoCaptureButton(
                title: localized("answer_take_photos", photos.count),
                destination: { try app.core.captures.reserve(owner) }, paths: $photos, error: $error)
            if let error { Text(error).foregroundStyle(.red) }
            Button(localized("open_case_submit")) { Task { await submit() } }
                .disabled(busy || category == nil)
        }
        .navigationTitle(localized("open_case_title"))
        .task { await load() }
    }

    private func load() async {
        photos = app.core.captures.pending(owner).map(\.path)
        do {
            templates = try await app.core.templates()
            sites = try await app.core.sites()
            units = try await app.core.units()
        } catch {
            self.error = userMessage(error)
        }
    }

    /// Records the report: a site's unit is the site's own (the server derives it the same
    /// way). Photos go once the core holds its copies; a refusal keeps them.
    private func submit() async {
        guard let category else { return }
        busy = true
        defer { busy = false }
        do {
            let chosenSite = sites.first { $0.id == site }
            let hashes = try await app.core.ingest(photos)
            _ = try await app.core.openCase(HazardReport(
                source: sources[sourceIndex], category: category, item: item, severity: severity,
                unit: chosenSite?.unit ?? unit ?? "", siteId: chosenSite?.id,
                description: description.trimmingCharacters(in: .whitespacesAndNewlines),
                photos: hashes, suggestedDepartment: nil))
            app.core.captures.remove(owner, photos.map { URL(fileURLWithPath: $0) })
            dismiss()
        } catch {
            self.error = userMessage(error)
        }
    }
}
