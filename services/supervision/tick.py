"""The tick's overdue work: reviews and filings marked overdue, notices closed at the end of their period."""

from services.common import outbox
from services.common.clock import rfc3339
from services.common.errors import Conflict
from services.supervision import store, telemetry
from services.supervision.domain import filings as filing_rules
from services.supervision.domain import notices as notice_rules
from services.supervision.domain import reviews as review_rules
from services.supervision.domain.base import Event, selection_subject
from services.supervision.models import Filing, Notice, Review
from services.supervision.store import envelope


def mark_reviews_overdue(now, caller):
    for doc in Review.objects(status=review_rules.PENDING, due_at__lte=now).order_by("due_at").limit(500):
        marked = review_rules.mark_overdue(store.review(doc), now)
        if marked.status != review_rules.OVERDUE:
            continue
        event = envelope(
            caller,
            Event(
                "review.overdue",
                selection_subject(doc.selection),
                {
                    "review": str(doc.id),
                    "selection": doc.selection,
                    "cadre": doc.cadre,
                    "missing": list(marked.missing),
                },
            ),
        )
        if (
            outbox.modify(
                Review.objects(id=doc.id, version=doc.version),
                {"set__status": review_rules.OVERDUE, "inc__version": 1},
                [event],
            )
            is not None
        ):
            telemetry.REVIEWS_OVERDUE.inc()


def close_notices(now, caller):
    for doc in Notice.objects(status=notice_rules.OPEN, closes_at__lte=now).order_by("closes_at").limit(500):
        try:
            closed, events = notice_rules.close_notice(store.notice(doc), store.objection_stubs(doc), now)
        except Conflict:
            # The embedded database compares dates to the whole second, so it can hand over a
            # notice up to a second early; the rule refuses it and a later tick closes it.
            continue
        # the version guard loses to an objection lodged meanwhile; the next tick closes with it
        if (
            outbox.modify(
                Notice.objects(id=doc.id, version=doc.version),
                {
                    "set__status": closed.status,
                    "set__outcome": closed.outcome,
                    "set__revision": closed.revision,
                    "inc__version": 1,
                },
                [envelope(caller, e) for e in events],
            )
            is not None
        ):
            telemetry.NOTICES_CLOSED.labels(closed.outcome).inc()


def mark_filings_overdue(now, caller):
    for doc in Filing.objects(status=filing_rules.DUE, due_at__lte=now).order_by("due_at").limit(500):
        marked = filing_rules.mark_overdue(store.filing(doc), now)
        if marked.status != filing_rules.OVERDUE:
            continue
        event = envelope(
            caller,
            Event(
                "filing.overdue",
                selection_subject(doc.selection),
                {"selection": doc.selection, "due_at": rfc3339(doc.due_at)},
            ),
        )
        if (
            outbox.modify(
                Filing.objects(id=doc.id, status=filing_rules.DUE), {"set__status": filing_rules.OVERDUE}, [event]
            )
            is not None
        ):
            telemetry.FILINGS_OVERDUE.inc()


# What the clock does at each tick, in order; each step takes (now, caller).
TICK_STEPS = (mark_reviews_overdue, close_notices, mark_filings_overdue, telemetry.gauges)
