import Foundation

/// Why the server refused a pushed record, decided from its stable code and its reason,
/// as on Android (`RejectedItem.toUserMessage`): a workflow rule named in the reason
/// (`close_after_verify`) is shown as that rule's sentence, never as the identifier.
public enum Rejection {
    /// A workflow rule refused it; the server's words follow.
    case rule(Rule, String)
    /// The server found it invalid.
    case invalid(String)
    /// This person may not record it there.
    case forbidden(String)
    /// It conflicts with what the server holds.
    case conflict(String)
    /// Its signature did not verify against this phone's key.
    case badSignature
}

/// The rejection for a refused record's `code` and `reason`.
public func rejection(code: String, reason: String) -> Rejection {
    if let rule = allRules.first(where: { reason.contains(ruleName($0)) }) { return .rule(rule, reason) }
    switch code {
    case "forbidden": return .forbidden(reason)
    case "conflict": return .conflict(reason)
    case "bad_signature": return .badSignature
    default: return .invalid(reason)
    }
}

/// Every workflow rule (uniffi's Swift enums are not `CaseIterable`).
let allRules: [Rule] = [
    .reportOnce, .publicReportsByCommunityStaff, .knownCategory, .caseMustExist, .closedCaseIsFinal,
    .callInByOffice, .callInGoesUp, .assignByStreet, .assignAfterCallIn, .assignWhileUnfixed,
    .acceptOwnDepartment, .acceptWhenAssigned, .progressByParticipant, .rectifyByResponsible,
    .rectifyNeedsPhoto, .verifyByIndependentInspector, .verifyAfterRectify, .reopenByOffice,
    .reopenWhenDone, .closeByOffice, .closeOnce, .closeAfterVerify, .textRequired,
]

/// A rule's name as the core and the server write it (snake case).
func ruleName(_ rule: Rule) -> String {
    String(describing: rule).reduce(into: "") { name, c in
        if c.isUppercase { name += "_" + c.lowercased() } else { name.append(c) }
    }
}
