import GridwalkKit

/// One button on a case: an action the core allows now, with the one choice the button
/// itself makes (the level to call in to, pass or fail). Built only from
/// `CaseView.allowedActions`; the shell never adds or hides an action.
struct CaseAction: Hashable, Identifiable {
    let kind: EventKind
    var level: Level?
    var passed: Bool?

    var id: Self { self }

    /// The button's words, in the app's language.
    var title: String {
        if let level { return localized("action_call_in_to", label(level)) }
        if let passed { return localized(passed ? "action_verify_fixed" : "action_verify_not_fixed") }
        switch kind {
        case .reported: return localized("action_report")
        case .calledIn: return localized("action_call_in")
        case .assigned: return localized("action_assign")
        case .accepted: return localized("action_accept")
        case .progress: return localized("action_progress")
        case .rectified: return localized("action_rectify")
        case .verified: return localized("action_verify")
        case .reopened: return localized("action_reopen")
        case .closed: return localized("action_close")
        case .comment: return localized("action_comment")
        }
    }

    /// Text field label for the note this action carries.
    var noteLabel: String {
        switch kind {
        case .reopened: localized("note_reason")
        case .comment: localized("note_comment")
        case .calledIn: localized("note_why")
        case .assigned: localized("note_instructions")
        default: localized("field_note")
        }
    }

    /// The payload the core records; `photos` are hashes of ingested rectification photos;
    /// `reinspection` is the re-inspection that checked the fix, which a verification names
    /// so the case and that visit are linked.
    func payload(note: String, department: String?, photos: [String], reinspection: String? = nil) -> Payload {
        switch kind {
        case .calledIn: .calledIn(level: level!, note: note)
        case .assigned: .assigned(department: department ?? "", note: note)
        case .accepted: .accepted(note: note)
        case .progress: .progress(note: note)
        case .rectified: .rectified(photos: photos, note: note)
        case .verified: .verified(passed: passed!, inspectionId: reinspection, note: note)
        case .reopened: .reopened(reason: note)
        case .closed: .closed(note: note)
        case .comment: .comment(text: note)
        case .reported: fatalError("a case is reported once, when it is opened")
        }
    }

    /// The buttons for what the core allows: one per level for call-in, two for verify.
    static func from(_ allowed: [AllowedAction]) -> [CaseAction] {
        allowed.flatMap { action -> [CaseAction] in
            switch action.kind {
            case .calledIn: action.levels.map { CaseAction(kind: .calledIn, level: $0) }
            case .verified: [CaseAction(kind: .verified, passed: true), CaseAction(kind: .verified, passed: false)]
            // Opening a case is not an action on an existing one.
            case .reported: []
            default: [CaseAction(kind: action.kind)]
            }
        }
    }
}
