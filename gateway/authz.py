"""Who may call what: the one authorization table of the gateway, row for row from API.md.

Keys are (method, werkzeug rule); values are the roles allowed, or PUBLIC, or ``ByQuery`` rows where
API.md gives the same path different roles by its query string. A route that is not in this table
cannot be served (the gateway refuses to start), so the table stays complete.
"""

PUBLIC = "public"


class ByQuery(frozenset):
    """Roles that depend on the query string: ``{(parameter, value or None for any value): roles}``,
    and ``otherwise`` for a request that matches no row (default: what every row allows).

    As a set it is every role that may call the endpoint with some query (the OpenAPI ``x-roles``).
    For a request, each row whose parameter it carries (with that value) must allow the role, so
    adding a parameter never widens what a role sees.
    """

    def __new__(cls, rows, otherwise=None):
        rows = {key: frozenset(roles) for key, roles in rows.items()}
        otherwise = frozenset.intersection(*rows.values()) if otherwise is None else frozenset(otherwise)
        self = super().__new__(cls, otherwise.union(*rows.values()))
        self.rows, self.otherwise = rows, otherwise
        return self

    def for_query(self, args):
        matched = [
            roles
            for (name, value), roles in self.rows.items()
            if name in args and (value is None or args.get(name) == value)
        ]
        return frozenset.intersection(*matched) if matched else self.otherwise


ROLES = (
    "org",
    "committee",
    "discipline",
    "audit",
    "family_planning",
    "petition",
    "superior",
    "vendor",
    "officer",
    "auditor",
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
    ("GET", "/api/v1/ballots/<tracker>"): PUBLIC,
    ("GET", "/api/v1/ballot-sessions/<id>/board"): frozenset({"org", "committee", "superior", "auditor"}),
    # not in API.md: what the ballot page asks with a token before showing the candidates
    ("POST", "/api/v1/ballot-forms"): PUBLIC,
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
    # the superior sees overdue reviews only, never every department's verdicts of a selection; a
    # department lists its own reviews (the service shows it its own verdicts only)
    ("GET", "/api/v1/reviews"): ByQuery(
        {("selection", None): {"org", *DEPARTMENTS}, ("status", "overdue"): {"superior", "org"}},
        otherwise={"org", *DEPARTMENTS},
    ),
    ("POST", "/api/v1/reviews/<id>/verdicts"): frozenset(DEPARTMENTS),
    ("POST", "/api/v1/selections/<id>/pre-report"): ORG,
    ("POST", "/api/v1/pre-reports/<id>/approve"): frozenset({"superior"}),
    ("POST", "/api/v1/selections/<id>/observer"): frozenset({"superior"}),
    ("GET", "/api/v1/filings"): ByQuery({("status", "overdue"): {"superior", "org"}}),
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
    ("GET", "/api/v1/records/witnesses"): PUBLIC,
    ("GET", "/log/checkpoint"): PUBLIC,
    ("GET", "/log/tile/<level>/<path:path>"): PUBLIC,
    ("GET", "/api/v1/selections/<id>/dossier"): frozenset({"org", "superior", "auditor"}),
    ("GET", "/api/v1/disclosures"): PUBLIC,
    ("GET", "/api/v1/disclosures.atom"): PUBLIC,
}


def allowed_roles(method, rule, args=None):
    """PUBLIC, or the frozenset of roles that may call it with the query ``args`` (a mapping; None:
    with some query); KeyError for an unknown endpoint."""
    roles = TABLE[(method, rule)]
    if isinstance(roles, ByQuery) and args is not None:
        return roles.for_query(args)
    return roles


def is_allowed(role, method, rule, args=None):
    roles = allowed_roles(method, rule, args)
    return roles == PUBLIC or role in roles
