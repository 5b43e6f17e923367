import Foundation
import GridwalkKit

/// The words for `key` in the app's language, from `Localizable.strings` (counts from
/// `Localizable.stringsdict`), with `args` filled in by position (`%1$@`, `%2$lld`).
/// Every user-visible sentence of the app goes through here, so `tests/tests/shell_strings.rs`
/// can check each key exists in Chinese and English with the same placeholders.
func localized(_ key: String, _ args: CVarArg...) -> String {
    let format = Bundle.main.localizedString(forKey: key, value: nil, table: nil)
    return args.isEmpty ? format : String(format: format, locale: Locale.current, arguments: args)
}

/// A template's Chinese or English title (or a department's name), in the language the
/// app's strings resolved to: Simplified Chinese (the development language) unless the
/// phone prefers English. Deciding by the bundle's localization, not the phone's first
/// language, keeps titles and the screen around them in one language.
func inAppLanguage(zh: String, en: String) -> String {
    Bundle.main.preferredLocalizations.first?.hasPrefix("en") == true ? en : zh
}

// The words for the core's enums. Each is an exhaustive switch, so a value added to the
// core fails the build here instead of showing up untranslated.

func label(_ value: Outcome) -> String {
    switch value {
    case .ok: localized("outcome_ok")
    case .hazard: localized("outcome_hazard")
    case .notApplicable: localized("outcome_not_applicable")
    }
}

func label(_ value: InspectionKind) -> String {
    switch value {
    case .routine: localized("kind_routine")
    case .spotCheck: localized("kind_spot_check")
    case .reinspection: localized("kind_reinspection")
    }
}

func label(_ value: Status) -> String {
    switch value {
    case .unreported: localized("status_unreported")
    case .reported: localized("status_reported")
    case .assigned: localized("status_assigned")
    case .inProgress: localized("status_in_progress")
    case .rectified: localized("status_rectified")
    case .verified: localized("status_verified")
    case .closed: localized("status_closed")
    }
}

func label(_ value: Level) -> String {
    switch value {
    case .community: localized("level_community")
    case .street: localized("level_street")
    case .district: localized("level_district")
    }
}

func label(_ value: Severity) -> String {
    switch value {
    case .low: localized("severity_low")
    case .medium: localized("severity_medium")
    case .high: localized("severity_high")
    case .critical: localized("severity_critical")
    }
}

func label(_ value: Role) -> String {
    switch value {
    case .gridWorker: localized("role_grid_worker")
    case .communityStaff: localized("role_community_staff")
    case .streetOfficer: localized("role_street_officer")
    case .departmentOfficer: localized("role_department_officer")
    case .supervisor: localized("role_supervisor")
    case .admin: localized("role_admin")
    }
}

func label(_ value: SkewKind) -> String {
    switch value {
    case .wallVersusHlc: localized("skew_wall_versus_hlc")
    case .aheadOfReceiver: localized("skew_ahead_of_receiver")
    }
}

func label(_ value: SyncPhase) -> String {
    switch value {
    case .reference: localized("phase_reference")
    case .uploading: localized("phase_uploading")
    case .pushing: localized("phase_pushing")
    case .pulling: localized("phase_pulling")
    }
}

/// The workflow rule a refusal names, as a short sentence a field worker understands.
func label(_ value: Rule) -> String {
    switch value {
    case .reportOnce: localized("rule_report_once")
    case .publicReportsByCommunityStaff: localized("rule_public_reports_by_community_staff")
    case .knownCategory: localized("rule_known_category")
    case .caseMustExist: localized("rule_case_must_exist")
    case .closedCaseIsFinal: localized("rule_closed_case_is_final")
    case .callInByOffice: localized("rule_call_in_by_office")
    case .callInGoesUp: localized("rule_call_in_goes_up")
    case .assignByStreet: localized("rule_assign_by_street")
    case .assignAfterCallIn: localized("rule_assign_after_call_in")
    case .assignWhileUnfixed: localized("rule_assign_while_unfixed")
    case .acceptOwnDepartment: localized("rule_accept_own_department")
    case .acceptWhenAssigned: localized("rule_accept_when_assigned")
    case .progressByParticipant: localized("rule_progress_by_participant")
    case .rectifyByResponsible: localized("rule_rectify_by_responsible")
    case .rectifyNeedsPhoto: localized("rule_rectify_needs_photo")
    case .verifyByIndependentInspector: localized("rule_verify_by_independent_inspector")
    case .verifyAfterRectify: localized("rule_verify_after_rectify")
    case .reopenByOffice: localized("rule_reopen_by_office")
    case .reopenWhenDone: localized("rule_reopen_when_done")
    case .closeByOffice: localized("rule_close_by_office")
    case .closeOnce: localized("rule_close_once")
    case .closeAfterVerify: localized("rule_close_after_verify")
    case .textRequired: localized("rule_text_required")
    }
}

/// Why concurrent events conflict.
func label(_ value: ConflictKind) -> String {
    switch value {
    case .twoCloses: localized("conflict_two_closes")
    case .closeAndReopen: localized("conflict_close_and_reopen")
    case .differentDepartments: localized("conflict_different_departments")
    case .verificationsDisagree: localized("conflict_verifications_disagree")
    case let .refused(rule): localized("conflict_refused", label(rule))
    }
}
