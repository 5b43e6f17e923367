import Foundation

/// What a scheduler does after a sync attempt; the same decisions as the Android shell's
/// `SyncPolicy.kt` (android/core-logic, tested on the JVM). The core's sync is resumable
/// and idempotent, so retrying is always safe; it is only pointless when nothing but the
/// user can fix the cause.
public enum SyncDecision {
    /// A passing problem (network, a malformed answer): the next trigger (the network
    /// coming back, the next background task) tries again.
    case retryLater(Error)
    /// Only the user can fix it: stop and show it; `reenrol` says enrolling again is the fix.
    case stop(Error, reenrol: Bool)
}

/// The decision for a sync that failed with `error`. Every core error has its answer.
public func decideAfter(_ error: Error) -> SyncDecision {
    guard let error = error as? GridwalkError else {
        // A platform failure (the task cancelled, I/O): passing.
        return .retryLater(error)
    }
    switch error {
    case .Network, .ServerMalformed:
        return .retryLater(error)
    case .NotEnrolled, .Unauthorised:
        return .stop(error, reenrol: true)
    case .Storage, .Corrupt, .Internal, .WrongKey, .SignerUnavailable, .LowStorage,
         .InvalidInput, .NotFound, .IncompleteInspection, .ActionRefused, .NoProfile,
         .Conflict, .PhotoNotHeld:
        return .stop(error, reenrol: false)
    }
}
