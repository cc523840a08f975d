"""Who may call what: the one authorization table of the gateway, row for row from API.md.

Keys are (method, werkzeug rule); values are the roles allowed, or PUBLIC. A route that is not
in this table cannot be served (the gateway refuses to start), so the table stays complete.
"""
PUBLIC = "public"

ROLES = (
    "org", "committee", "discipline", "audit", "family_planning", "petition",
    "superior", "vendor", "officer", "auditor",
)
DEPARTMENTS = ("discipline", "audit", "family_planning", "petition")

ORG = frozenset({"org"})

TABLE = {
    # operating it
    ("GET", "/health"): PUBLIC,
    ("GET", "/metrics"): PUBLIC,
    ("GET", "/openapi.json"): PUBLIC,
    # nomination
    ("POST", "/api/v1/units"): ORG,
    ("POST", "/api/v1/posts"): ORG,
    ("GET", "/api/v1/posts/<code>"): ORG,
    ("POST", "/api/v1/cadres"): ORG,
    ("POST", "/api/v1/posts/import"): ORG,
    ("POST", "/api/v1/cadres/import"): ORG,
    ("POST", "/api/v1/selections"): ORG,
    ("GET", "/api/v1/selections/<id>"): ORG,
    ("GET", "/api/v1/selections/<id>/ranking"): ORG,
    ("POST", "/api/v1/selections/<id>/qualification"): ORG,
    ("POST", "/api/v1/selections/<id>/consultations"): ORG,
    ("POST", "/api/v1/selections/<id>/ballot-sessions"): ORG,
    ("POST", "/api/v1/ballots"): PUBLIC,
    ("POST", "/api/v1/ballot-sessions/<id>/close"): ORG,
    ("POST", "/api/v1/selections/<id>/nominations"): ORG,
    ("POST", "/api/v1/selections/<id>/deliberation"): ORG,
    ("POST", "/api/v1/selections/<id>/inspection"): ORG,
    ("POST", "/api/v1/selections/<id>/decision"): frozenset({"committee"}),
    ("POST", "/api/v1/selections/<id>/appointment"): ORG,
    ("POST", "/api/v1/selections/<id>/filing"): ORG,
    # examination
    ("POST", "/api/v1/vendors"): ORG,
    ("POST", "/api/v1/campaigns"): ORG,
    ("POST", "/api/v1/campaigns/<code>/vendors"): ORG,
    ("POST", "/api/v1/campaigns/<code>/papers"): frozenset({"vendor"}),
    ("POST", "/api/v1/papers/<id>/reveal"): frozenset({"vendor"}),
    ("POST", "/api/v1/campaigns/<code>/interview-draw"): ORG,
    ("POST", "/api/v1/campaigns/<code>/applications"): ORG,
    ("POST", "/api/v1/campaigns/<code>/applications/import"): ORG,
    ("GET", "/api/v1/campaigns/<code>/applications"): ORG,
    ("POST", "/api/v1/applications/<id>/eligibility"): ORG,
    ("POST", "/api/v1/campaigns/<code>/eligibility/import"): ORG,
    ("POST", "/api/v1/campaigns/<code>/blind-codes"): ORG,
    ("GET", "/api/v1/campaigns/<code>/blind-codes"): frozenset({"org", "vendor"}),
    ("POST", "/api/v1/campaigns/<code>/sealed-sheets"): frozenset({"vendor"}),
    ("POST", "/api/v1/campaigns/<code>/unseal"): frozenset({"officer"}),
    ("GET", "/api/v1/campaigns/<code>/results"): ORG,
    ("POST", "/api/v1/campaigns/<code>/publish"): ORG,
    # supervision
    ("GET", "/api/v1/reviews"): frozenset({"org", "superior", *DEPARTMENTS}),
    ("POST", "/api/v1/reviews/<id>/verdicts"): frozenset(DEPARTMENTS),
    ("POST", "/api/v1/selections/<id>/pre-report"): ORG,
    ("POST", "/api/v1/pre-reports/<id>/approve"): frozenset({"superior"}),
    ("POST", "/api/v1/selections/<id>/observer"): frozenset({"superior"}),
    ("GET", "/api/v1/filings"): frozenset({"superior", "org"}),
    ("GET", "/api/v1/notices"): PUBLIC,
    ("POST", "/api/v1/notices/<id>/objections"): PUBLIC,
    # not in API.md: how the resolvers read what the public wrote (the API "may grow")
    ("GET", "/api/v1/notices/<id>/objections"): frozenset({"org", "discipline"}),
    ("POST", "/api/v1/objections/<id>/resolve"): frozenset({"org", "discipline"}),
    ("POST", "/api/v1/assessments"): ORG,
    ("GET", "/api/v1/assessments/<period>/ranking"): frozenset({"org", "superior"}),
    # records
    ("POST", "/api/v1/records"): frozenset({"org", "committee"}),
    ("GET", "/api/v1/records"): frozenset({"org", "committee", "superior", "auditor"}),
    ("GET", "/api/v1/records/checkpoint"): PUBLIC,
    ("GET", "/api/v1/records/public-key"): PUBLIC,
    ("GET", "/api/v1/records/<int:seq>/proof"): PUBLIC,
    ("GET", "/api/v1/records/consistency"): PUBLIC,
    ("GET", "/api/v1/selections/<id>/dossier"): frozenset({"org", "superior", "auditor"}),
    ("GET", "/api/v1/disclosures"): PUBLIC,
    ("GET", "/api/v1/disclosures.atom"): PUBLIC,
}


def allowed_roles(method, rule):
    """PUBLIC, or the frozenset of roles that may call it; KeyError for an unknown endpoint."""
    return TABLE[(method, rule)]


def is_allowed(role, method, rule):
    roles = allowed_roles(method, rule)
    return roles == PUBLIC or role in roles
