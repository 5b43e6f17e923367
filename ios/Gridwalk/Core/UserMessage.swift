import Foundation
import Gridwalk

/// The sentence a user sees for a failure. The core's typed error already says what went
/// wrong; this only lays it out. Refusals name the rule.
func userMessage(_ error: Error) -> String {
    guard let error = error as? GridwalkError else { return error.localizedDescription }
    switch error {
    case let .ActionRefused(rule, reason):
        return "Refused (\(label(rule))): \(reason)"
    case let .IncompleteInspection(unanswered, missingPhotos):
        var text = "Cannot submit yet."
        if !unanswered.isEmpty { text += " Unanswered: \(unanswered.joined(separator: ", "))." }
        if !missingPhotos.isEmpty { text += " Need a photo: \(missingPhotos.joined(separator: ", "))." }
        return text
    case let .InvalidInput(reason), let .Conflict(reason):
        return reason
    case let .NotFound(kind, id):
        return "\(kind) not found: \(id)"
    case .NoProfile:
        return "This device is not enrolled yet: enrol it on the Sync tab."
    case let .Storage(reason):
        return "Storage problem: \(reason)"
    // Kinds added with sync (network, server) describe themselves.
    default:
        return error.localizedDescription
    }
}

/// An enum case as words: `spotCheck` -> "spot check". Labels only, no meaning added.
func label<T>(_ value: T) -> String {
    String(describing: value)
        .replacingOccurrences(of: "([a-z])([A-Z])", with: "$1 $2", options: .regularExpression)
        .lowercased()
}

/// Milliseconds since the epoch as a local date and time.
func formatMs(_ ms: Int64) -> String {
    Date(timeIntervalSince1970: TimeInterval(ms) / 1000).formatted(date: .abbreviated, time: .shortened)
}
