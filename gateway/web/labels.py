"""Names shown for the API's codes (stages, roles, statuses …): English message ids, translated by the catalogue."""


def N_(message):
    """Marks a message for extraction; translated when shown (the ``label`` filter)."""
    return message


LABELS = {
    # stages of a selection
    "motion": N_("Motion"), "qualification": N_("Qualification"), "consultation": N_("Consultation"),
    "recommendation": N_("Recommendation"), "inspection": N_("Inspection"), "joint_review": N_("Joint review"),
    "public_notice": N_("Public notice"), "appointment": N_("Appointment"), "filing": N_("Filing"),
    "closed": N_("Closed"), "nomination": N_("Nomination"), "deliberation": N_("Deliberation"),
    "decision": N_("Decision"), "examination": N_("Examination"),
    # steps the nomination service names next that are not stages
    "ballot_session": N_("Ballot session"), "ballot": N_("Secret ballot"), "close_session": N_("Close and count"),
    "pre_report": N_("Pre-appointment report to the superior"), "observer": N_("Observer at the decision meeting"),
    # roles
    "org": N_("Organization Department"), "committee": N_("Standing committee"),
    "discipline": N_("Discipline inspection"), "audit": N_("Audit"), "family_planning": N_("Family planning"),
    "petition": N_("Petitions"), "superior": N_("Superior organization department"), "vendor": N_("Vendor"),
    "officer": N_("Unsealing officer"), "auditor": N_("Auditor"),
    # statuses
    "open": N_("Open"), "pending": N_("Pending"), "cleared": N_("Cleared"), "vetoed": N_("Vetoed"),
    "overdue": N_("Overdue"), "due": N_("Due"), "filed": N_("Filed"), "nominated": N_("Nominated"),
    "shortlisted": N_("Shortlisted"), "appointee": N_("Appointee"), "appointed": N_("Appointed"),
    "voided": N_("Voided"), "eligible": N_("Eligible"), "ineligible": N_("Ineligible"),
    "selected": N_("Selected"), "not_selected": N_("Not selected"), "upheld": N_("Upheld"),
    "dismissed": N_("Dismissed"), "unsealed": N_("Unsealed"), "submitted": N_("Submitted"),
    "approved": N_("Approved"),
    # verdicts
    "clear": N_("Clear"), "veto": N_("Veto"),
    # ranks, categories, modes
    "clerk": N_("Clerk"), "deputy_section": N_("Deputy section level"), "section": N_("Section level"),
    "key_leadership": N_("Key leadership"), "promotion": N_("Promotion"), "lateral_transfer": N_("Lateral transfer"),
    "public_selection": N_("Public selection"), "plenary_recommendation": N_("Plenary recommendation"),
    "democratic_recommendation": N_("Democratic recommendation"), "org_recommendation": N_("Organization recommendation"),
    # consultation sources, ballot kinds, disclosure kinds
    "leader_in_charge": N_("Leader in charge"), "grassroots": N_("Grassroots"),
    "plenary": N_("Plenary"), "democratic": N_("Democratic"),
    "policy": N_("Policy"), "announcement": N_("Announcement"), "notice": N_("Public notice"),
    "results": N_("Results"), "written": N_("Written examination"), "interview": N_("Interview"),
    # vendor roles
    "question_setting": N_("Question setting"), "grading": N_("Grading"),
    # the four emphases
    "integrity_ability": N_("Integrity and ability"), "performance": N_("Performance"),
    "public_opinion": N_("Public opinion"),
}

# What each problem code means, said plainly (the API's detail follows it on the page).
PROBLEMS = {
    "over_headcount": N_("More vacancies than the post has free"),
    "over_rank": N_("The nominee's rank does not fit the post"),
    "no_basis": N_("No valid basis for the nomination"),
    "ad_hoc_motion": N_("The agenda was not filed early enough (no ad hoc motions)"),
    "out_of_order": N_("This step comes later in the procedure"),
    "concealment": N_("Personal matters were not reported (concealment)"),
    "non_organizational_activity": N_("Non-organizational activity (canvassing or the proposer's kin)"),
    "slate_ratio": N_("The slate does not meet the required ratio"),
    "quorum_not_met": N_("Quorum not met"),
    "not_eligible": N_("Outside the qualification scope or conditions"),
    "not_outside": N_("The vendor is affiliated with a local unit"),
    "not_cleared": N_("The joint review has not cleared this appointee"),
    "pre_report_required": N_("The superior must first approve a pre-appointment report"),
    "objection_pending": N_("An objection is still unresolved"),
    "objection_upheld": N_("An objection was upheld"),
    "invalid_signature": N_("Invalid signature"), "invalid_share": N_("This is not the share issued to you"),
    "commitment_mismatch": N_("The paper does not match its commitment"),
    "exists": N_("It already exists"), "token_used": N_("This ballot token was already used"),
    "session_closed": N_("The period is over: it no longer accepts submissions"),
    "already_submitted": N_("Already submitted"), "too_early": N_("Too early"),
    "already_unsealed": N_("Already unsealed"), "wrong_stage": N_("This step has already passed"),
    "invalid_token": N_("Unknown ballot token"), "invalid": N_("Some fields are not valid"),
    "not_found": N_("Not found"), "unauthorized": N_("Sign in first"),
    "forbidden": N_("Your role may not do this"), "rate_limited": N_("Too many requests; wait a moment and retry"),
    "too_large": N_("Too large"), "unavailable": N_("A service is unavailable; try again shortly"),
    "csrf": N_("Cross-site request refused"), "idempotency_mismatch": N_("This form was already used for another request"),
    "conflict": N_("The same request is still running"),
}
