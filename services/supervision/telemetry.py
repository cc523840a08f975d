"""Supervision's metrics: reviews and filings by status, and counts of what its calls, events and clock did."""

from prometheus_client import Counter, Gauge

from services.common.mongo import counts_by
from services.supervision import contract
from services.supervision.models import Filing, Review

REVIEWS = Gauge("cadre_reviews", "Joint reviews by status.", ["status"])
REVIEWS_OVERDUE = Counter(
    "cadre_reviews_overdue_total", "Joint reviews marked overdue (a verdict missing at the deadline)."
)
VERDICTS = Counter("cadre_review_verdicts_total", "Verdicts given in joint reviews.", ["department", "verdict"])
FILINGS = Gauge("cadre_filings", "Post-appointment filings by status.", ["status"])
FILINGS_OVERDUE = Counter("cadre_filings_overdue_total", "Filings marked overdue (not filed by the deadline).")
OBJECTIONS = Counter("cadre_objections_lodged_total", "Objections lodged by the public against notices.")
NOTICES_CLOSED = Counter("cadre_notices_closed_total", "Public notices closed, by outcome.", ["outcome"])
OBSERVERS_ABSENT = Counter("cadre_observers_absent_total", "Key-leadership decisions taken with no observer named.")


def gauges(now, caller=None):
    """Refresh the by-status gauges (a step of the clock, which passes every step ``now`` and the caller)."""
    for status, n in counts_by(Review._get_collection(), "status", contract.REVIEW_STATUSES).items():
        REVIEWS.labels(status).set(n)
    for status, n in counts_by(Filing._get_collection(), "status", contract.FILING_STATUSES).items():
        FILINGS.labels(status).set(n)
