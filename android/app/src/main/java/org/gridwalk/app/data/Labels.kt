package org.gridwalk.app.data

import androidx.annotation.StringRes
import org.gridwalk.app.R
import org.gridwalk.core.*
import org.gridwalk.model.*

// The words for the core's enums, one string resource per value. Each mapping is an
// exhaustive `when`, so a value added to the core fails the build here instead of
// showing up untranslated.

/** An answer's outcome. */
@get:StringRes
val Outcome.labelRes: Int
    get() = when (this) {
        Outcome.OK -> R.string.outcome_ok
        Outcome.HAZARD -> R.string.outcome_hazard
        Outcome.NOT_APPLICABLE -> R.string.outcome_not_applicable
    }

/** The kind of inspection a new one gets. */
@get:StringRes
val InspectionKind.labelRes: Int
    get() = when (this) {
        InspectionKind.ROUTINE -> R.string.kind_routine
        InspectionKind.SPOT_CHECK -> R.string.kind_spot_check
        InspectionKind.REINSPECTION -> R.string.kind_reinspection
    }

/** Where a hazard case stands. */
@get:StringRes
val Status.labelRes: Int
    get() = when (this) {
        Status.UNREPORTED -> R.string.status_unreported
        Status.REPORTED -> R.string.status_reported
        Status.ASSIGNED -> R.string.status_assigned
        Status.IN_PROGRESS -> R.string.status_in_progress
        Status.RECTIFIED -> R.string.status_rectified
        Status.VERIFIED -> R.string.status_verified
        Status.CLOSED -> R.string.status_closed
    }

/** The administrative level a case is handled at. */
@get:StringRes
val Level.labelRes: Int
    get() = when (this) {
        Level.COMMUNITY -> R.string.level_community
        Level.STREET -> R.string.level_street
        Level.DISTRICT -> R.string.level_district
    }

/** How serious a hazard is. */
@get:StringRes
val Severity.labelRes: Int
    get() = when (this) {
        Severity.LOW -> R.string.severity_low
        Severity.MEDIUM -> R.string.severity_medium
        Severity.HIGH -> R.string.severity_high
        Severity.CRITICAL -> R.string.severity_critical
    }

/** A person's role. */
@get:StringRes
val Role.labelRes: Int
    get() = when (this) {
        Role.GRID_WORKER -> R.string.role_grid_worker
        Role.COMMUNITY_STAFF -> R.string.role_community_staff
        Role.STREET_OFFICER -> R.string.role_street_officer
        Role.DEPARTMENT_OFFICER -> R.string.role_department_officer
        Role.SUPERVISOR -> R.string.role_supervisor
        Role.ADMIN -> R.string.role_admin
    }

/** Which way a device's clock disagreed. */
@get:StringRes
val SkewKind.labelRes: Int
    get() = when (this) {
        SkewKind.WALL_VERSUS_HLC -> R.string.skew_wall_versus_hlc
        SkewKind.AHEAD_OF_RECEIVER -> R.string.skew_ahead_of_receiver
    }

/** The step a running sync is at. */
@get:StringRes
val SyncPhase.labelRes: Int
    get() = when (this) {
        SyncPhase.REFERENCE -> R.string.phase_reference
        SyncPhase.UPLOADING -> R.string.phase_uploading
        SyncPhase.PUSHING -> R.string.phase_pushing
        SyncPhase.PULLING -> R.string.phase_pulling
    }

/** The workflow rule a refusal names, as a short sentence a field worker understands. */
@get:StringRes
val Rule.labelRes: Int
    get() = when (this) {
        Rule.REPORT_ONCE -> R.string.rule_report_once
        Rule.PUBLIC_REPORTS_BY_COMMUNITY_STAFF -> R.string.rule_public_reports_by_community_staff
        Rule.KNOWN_CATEGORY -> R.string.rule_known_category
        Rule.CASE_MUST_EXIST -> R.string.rule_case_must_exist
        Rule.CLOSED_CASE_IS_FINAL -> R.string.rule_closed_case_is_final
        Rule.CALL_IN_BY_OFFICE -> R.string.rule_call_in_by_office
        Rule.CALL_IN_GOES_UP -> R.string.rule_call_in_goes_up
        Rule.ASSIGN_BY_STREET -> R.string.rule_assign_by_street
        Rule.ASSIGN_AFTER_CALL_IN -> R.string.rule_assign_after_call_in
        Rule.ASSIGN_WHILE_UNFIXED -> R.string.rule_assign_while_unfixed
        Rule.ACCEPT_OWN_DEPARTMENT -> R.string.rule_accept_own_department
        Rule.ACCEPT_WHEN_ASSIGNED -> R.string.rule_accept_when_assigned
        Rule.PROGRESS_BY_PARTICIPANT -> R.string.rule_progress_by_participant
        Rule.RECTIFY_BY_RESPONSIBLE -> R.string.rule_rectify_by_responsible
        Rule.RECTIFY_NEEDS_PHOTO -> R.string.rule_rectify_needs_photo
        Rule.VERIFY_BY_INDEPENDENT_INSPECTOR -> R.string.rule_verify_by_independent_inspector
        Rule.VERIFY_AFTER_RECTIFY -> R.string.rule_verify_after_rectify
        Rule.REOPEN_BY_OFFICE -> R.string.rule_reopen_by_office
        Rule.REOPEN_WHEN_DONE -> R.string.rule_reopen_when_done
        Rule.CLOSE_BY_OFFICE -> R.string.rule_close_by_office
        Rule.CLOSE_ONCE -> R.string.rule_close_once
        Rule.CLOSE_AFTER_VERIFY -> R.string.rule_close_after_verify
        Rule.TEXT_REQUIRED -> R.string.rule_text_required
    }
