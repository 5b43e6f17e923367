import Foundation
import GridwalkKit

/// The sentence a user sees for a failure. The core's typed error already says what went
/// wrong; this lays it out in the app's language, with the core's own detail (record ids,
/// item codes, the server's words) filled in. Refusals name the rule.
func userMessage(_ error: Error) -> String {
    if case let SignerError.Unavailable(reason) = error { return localized("error_keychain", reason) }
    guard let error = error as? GridwalkError else { return error.localizedDescription }
    switch error {
    case let .ActionRefused(rule, reason):
        return localized("error_refused", label(rule), reason)
    case let .IncompleteInspection(unanswered, missingPhotos):
        var parts = [localized("error_incomplete")]
        if !unanswered.isEmpty { parts.append(localized("error_unanswered", unanswered.joined(separator: ", "))) }
        if !missingPhotos.isEmpty { parts.append(localized("error_missing_photos", missingPhotos.joined(separator: ", "))) }
        return parts.joined(separator: " ")
    case let .InvalidInput(reason):
        return localized("error_invalid_input", reason)
    case let .NotFound(kind, id):
        return localized("error_not_found", kind, id)
    case .NoProfile:
        return localized("error_no_profile")
    case let .Conflict(reason):
        return localized("error_conflict", reason)
    case .NotEnrolled:
        return localized("error_not_enrolled")
    case let .Unauthorised(reason):
        return localized("error_unauthorised", reason)
    case let .Network(reason):
        return localized("error_network", reason)
    case let .Storage(reason):
        return localized("error_storage", reason)
    case let .Corrupt(reason):
        return localized("error_corrupt", reason)
    case let .ServerMalformed(reason):
        return localized("error_server_malformed", reason)
    case let .Internal(reason):
        return localized("error_internal", reason)
    case let .WrongKey(path):
        return localized("error_wrong_key", path)
    case let .SignerUnavailable(reason):
        return localized("error_keychain", reason)
    case let .LowStorage(freeBytes, floorBytes):
        return localized("error_low_storage", String(freeBytes / 1_000_000), String(floorBytes / 1_000_000))
    case .PhotoNotHeld:
        return localized("error_photo_not_held")
    }
}

/// Why the server refused a record, in the app's language.
func words(_ rejection: Rejection) -> String {
    switch rejection {
    case let .rule(rule, reason): localized("error_refused", label(rule), reason)
    case let .invalid(reason): localized("sync_rejected_invalid", reason)
    case let .forbidden(reason): localized("sync_rejected_forbidden", reason)
    case let .conflict(reason): localized("sync_rejected_conflict", reason)
    case .badSignature: localized("sync_rejected_signature")
    }
}

/// Milliseconds since the epoch as a local date and time.
func formatMs(_ ms: Int64) -> String {
    Date(timeIntervalSince1970: TimeInterval(ms) / 1000).formatted(date: .abbreviated, time: .shortened)
}
