import GridwalkKit
import SwiftUI

/// Today's sites: search, scan a site's QR code, start or resume an inspection.
struct SitesView: View {
    @Environment(SyncCoordinator.self) private var app
    @State private var sites: [Site] = []
    @State private var drafts: [String: InspectionSummary] = [:]
    @State private var query = ""
    @State private var kind = InspectionKind.routine
    @State private var scanning = false
    @State private var opened: String?
    @State private var error: String?

    /// Matching sites; those with a draft first, then the core's order.
    private var visible: [Site] {
        let q = query.trimmingCharacters(in: .whitespaces)
        return sites
            .filter { q.isEmpty || [$0.name, $0.address, $0.id].contains { $0.localizedCaseInsensitiveContains(q) } }
            .sorted { drafts[$0.id] != nil && drafts[$1.id] == nil }
    }

    var body: some View {
        List {
            // The kind a new inspection gets; whether this person may do it is the core's call.
            Picker(localized("sites_kind"), selection: $kind) {
                ForEach([InspectionKind.routine, .spotCheck, .reinspection], id: \.self) { Text(label($0)).tag($0) }
            }
            .pickerStyle(.segmented)
            if let error { Text(error).foregroundStyle(.red) }
            if sites.isEmpty {
                Text(localized("sites_empty"))
            }
            ForEach(visible, id: \.id) { site in
                Button { Task { await open(site.id) } } label: {
                    LabeledContent {
                        Text(drafts[site.id].map { localized("sites_continue", Int($0.answered)) } ?? localized("sites_start"))
                    } label: {
                        Text(site.name)
                        Text(verbatim: "\(site.address) · \(site.kind)").font(.caption)
                    }
                }
            }
        }
        .searchable(text: $query, prompt: localized("sites_search_hint"))
        .navigationTitle(app.profile.map { localized("sites_title_person", $0.name) } ?? localized("sites_title"))
        .toolbar {
            Button(localized("sites_scan_qr")) { scanning = true }
            NavigationLink(localized("sites_submitted")) { SubmittedView() }
        }
        .refreshable { await load() }
        .task { await load() }
        .sheet(isPresented: $scanning) {
            QRScannerView { code in
                scanning = false
                Task { await scanned(code) }
            }
            .ignoresSafeArea()
        }
        .navigationDestination(item: $opened) { ChecklistView(inspectionId: $0) }
    }

    private func load() async {
        do {
            let profile = try await app.core.profile()
            sites = try await app.core.sites()
            var list: [InspectionSummary] = []
            if let profile { list = try await app.core.drafts(inspector: profile.name) }
            // Drafts arrive newest first: keep the first one per site.
            drafts = Dictionary(list.map { ($0.siteId, $0) }, uniquingKeysWith: { first, _ in first })
            error = nil
        } catch {
            self.error = userMessage(error)
        }
    }

    /// Resumes the site's draft, or starts a new inspection of the chosen kind.
    private func open(_ siteId: String) async {
        if let draft = drafts[siteId] { opened = draft.id; return }
        do {
            // The inspector is the enrolled person; the core refuses an empty name.
            let inspector = try await app.core.profile()?.name ?? ""
            opened = try await app.core.startInspection(siteId: siteId, kind: kind, inspector: inspector)
        } catch {
            self.error = userMessage(error)
        }
    }

    /// A scanned QR code holds a site id.
    private func scanned(_ code: String) async {
        if sites.contains(where: { $0.id == code }) { await open(code) }
        else { error = localized("sites_not_on_phone", code) }
    }
}
