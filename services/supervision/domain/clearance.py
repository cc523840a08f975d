"""What supervision holds about one selection that nomination's decision and appointment depend on,
as supervision's answer to nomination when nomination's own copy (learnt from events) says no."""

from .notices import OPEN, PENDING, UPHELD
from .oversight import APPROVED


def clearance(selection, *, pre_report_status, reviews, notice):
    """The selection's pre-report approval, review statuses and notice state, as of now.

    ``reviews``: (cadre, status) pairs; ``notice``: None before the decision opened one, else its
    status, outcome (once closed), revision and objection statuses (id -> status).
    """
    shown = None
    if notice is not None:
        statuses = list(notice["objections"].values())
        shown = {
            "status": notice["status"],
            "outcome": notice["outcome"] if notice["status"] != OPEN else None,
            "revision": int(notice["revision"] or 0),
            "pending": sum(1 for s in statuses if s == PENDING),
            "upheld": sum(1 for s in statuses if s == UPHELD),
        }
    return {
        "selection": selection,
        "pre_report_approved": pre_report_status == APPROVED,
        "reviews": {cadre: status for cadre, status in reviews},
        "notice": shown,
    }
