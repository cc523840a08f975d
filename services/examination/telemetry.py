"""The examination service's Prometheus counters (exposed on its /metrics)."""

from prometheus_client import Counter

SHEETS_RECEIVED = Counter("cadre_sealed_sheets_received_total", "Sealed score sheets accepted at receipt.", ["stage"])
SHEETS_REFUSED = Counter("cadre_sealed_sheets_refused_total", "Sealed score sheets refused at receipt.", ["code"])
SHARES_REFUSED = Counter(
    "cadre_unseal_shares_refused_total",
    "Key shares refused: from someone not an officer of the campaign, or not the share issued.",
    ["code"],
)
SHARES_GIVEN = Counter("cadre_unseal_shares_given_total", "Valid key shares given by unsealing officers.", ["stage"])
UNSEALS = Counter("cadre_unseals_total", "Stages unsealed.", ["stage"])
SHEET_PROBLEMS = Counter("cadre_sheet_problems_total", "Problems found in sheets at unseal.", ["code"])
APPLICATIONS = Counter("cadre_applications_total", "Applications registered.", ["via"])
ELIGIBILITY_DECIDED = Counter("cadre_eligibility_decisions_total", "Eligibility decisions applied.", ["via"])
