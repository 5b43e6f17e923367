import SwiftUI

/// Enrols this phone: server address + one-time code; the server says who the phone is.
struct EnrolView: View {
    @Environment(SyncCoordinator.self) private var app
    @Environment(\.dismiss) private var dismiss
    @State private var server = "https://"
    @State private var code = ""
    @State private var busy = false
    @State private var error: String?

    var body: some View {
        Form {
            TextField(localized("enrol_server"), text: $server)
                .keyboardType(.URL).textInputAutocapitalization(.never).autocorrectionDisabled()
            TextField(localized("enrol_code"), text: $code)
                .textInputAutocapitalization(.never).autocorrectionDisabled()
            Button(busy ? localized("enrol_busy") : localized("enrol_button")) { Task { await enrol() } }.disabled(busy)
            if let error { Text(error).foregroundStyle(.red) }
        }
        .navigationTitle(localized("sync_enrol_phone"))
    }

    private func enrol() async {
        busy = true
        defer { busy = false }
        do {
            try await app.enroll(
                serverUrl: server.trimmingCharacters(in: .whitespaces), code: code.trimmingCharacters(in: .whitespaces))
            dismiss()
        } catch {
            self.error = userMessage(error)
        }
    }
}
