"""Every event supervision sends has its data dumped through the contract's schema (events.SENT), and every
event its rules make passes through that schema unchanged, field for field and type for type."""

import json
import re
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from services.supervision import contract, events, store
from services.supervision.domain import assessments as asm
from services.supervision.domain import notices as nt
from services.supervision.domain import oversight as ov
from services.supervision.domain import reviews as rv

T0 = datetime(2026, 3, 1, 8, 0, tzinfo=timezone.utc)
DOMAIN = Path(store.__file__).parent / "domain"


def counter(prefix):
    n = iter(range(1, 1000))
    return lambda: f"{prefix}{next(n)}"


def rule_events():
    """At least one event of each type the rules make."""
    made = []
    review = rv.open_reviews("S1", ["C1"], T0, new_id=counter("r"))[0]
    outcome = rv.apply_verdict(review, "discipline", "veto", "concealment: a second passport", T0 + timedelta(hours=1))
    made += outcome.events
    cleared = review
    for department in ("discipline", "audit", "family_planning", "petition"):
        outcome = rv.apply_verdict(cleared, department, "clear", "", T0 + timedelta(hours=2))
        cleared = outcome.review
        made += outcome.events
    report = ov.create_pre_report("S1", T0, new_id=lambda: "p1")
    made += ov.approve_pre_report(report, "superior", T0 + timedelta(hours=1))[1]
    notice, opened = nt.open_notice("S1", [{"name": "张三", "post": "副局长"}], T0, new_id=counter("n"))
    made += opened
    objection, lodged = nt.lodge_objection(notice, "a concern", T0 + timedelta(hours=1), new_id=counter("o"))
    made += lodged
    closed, closing = nt.close_notice(notice, [objection], T0 + timedelta(days=6))
    made += closing
    made += nt.resolve_objection(
        closed,
        [objection],
        objection.id,
        upheld=True,
        finding="checked",
        resolved_by="discipline",
        now=T0 + timedelta(days=7),
    ).events
    scores = [asm.assess_unit("2026-H1", unit, score) for unit, score in {"U1": 80, "U2": 95.5, "U3": 60}.items()]
    made += asm.rank_units("2026-H1", scores, bottom=1).events
    return made


def test_the_rules_make_every_kind_of_event_the_sent_table_names_for_them():
    kinds = {event.type for event in rule_events()}
    assert kinds == {
        "review.verdict_given",
        "review.vetoed",
        "review.cleared",
        "pre_report.approved",
        "notice.opened",
        "objection.lodged",
        "notice.closed",
        "objection.resolved",
        "assessment.ranked",
    }
    assert kinds <= set(events.SENT)


@pytest.mark.parametrize("event", rule_events(), ids=lambda e: e.type)
def test_a_rule_event_passes_through_its_schema_unchanged(event):
    data = store.jsonable(event.data)
    dumped = events.SENT[event.type]().dump(data)
    assert json.dumps(dumped, sort_keys=True) == json.dumps(data, sort_keys=True)


def test_every_event_type_the_rules_or_the_writes_name_has_a_schema():
    """An event type written anywhere in supervision but missing from SENT could not be sent (KeyError)."""
    sources = [*DOMAIN.glob("*.py"), *Path(store.__file__).parent.glob("*.py")]
    named = set()
    for path in sources:
        text = path.read_text(encoding="utf-8")
        named |= set(re.findall(r'EVENT_[A-Z_]+ = "([a-z_]+\.[a-z_]+)"', text))
        named |= set(re.findall(r'Event\(\s*"([a-z_]+\.[a-z_]+)"', text))
    named.discard("filing.recorded")  # nomination's event; the filing rule's echo of it is never sent
    assert named and named <= set(events.SENT), named - set(events.SENT)


def test_the_contract_names_the_sent_schemas_too():
    assert contract.NoticeClosed is events.NoticeClosed and contract.ReviewOpened is events.ReviewOpened


def test_an_event_without_a_schema_cannot_be_sent():
    with pytest.raises(KeyError):
        store.envelope(None, rv.Event("review.invented", "selection:S1", {}))
