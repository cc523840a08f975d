"""Routine assessments' writes (平时考核): scores recorded, and a period's ranking sent when it changes."""

import hashlib
import json

from mongoengine import NotUniqueError

from services.common import outbox
from services.common.clock import utcnow
from services.supervision import store
from services.supervision.domain import assessments as assessment_rules
from services.supervision.domain.base import Event
from services.supervision.models import Assessment, Ranking
from services.supervision.store import envelope


def record_assessment(body, caller):
    kind = "unit" if body.get("unit") else "cadre"
    if kind == "unit":
        value = assessment_rules.assess_unit(body["period"], body["unit"], body["score"])
    else:
        value = assessment_rules.assess_cadre(body["period"], body["cadre"], body["score"])
    shown = value.as_dict()
    subject = getattr(value, kind)
    event = envelope(caller, Event("assessment.recorded", f"assessment:{value.period}", shown))
    outbox.insert(
        Assessment(
            period=str(value.period),
            kind=kind,
            subject=subject,
            score=value.score,
            recorded_at=utcnow(),
            recorded_by=caller.actor,
        ),
        event,
        exists_detail=f"this {kind} already has a score for {value.period}",
    )
    if kind == "cadre":
        flag = assessment_rules.adjustment_flag(store.cadre_history(subject))
        shown["adjustment"] = flag.as_dict() if flag else None
    return shown


def ranking(period, bottom, caller):
    """The period's ranking of units and its cadres to adjust; ``assessment.ranked`` sent when it changed."""
    parsed = assessment_rules.Period.parse(period)
    units = [
        assessment_rules.UnitAssessment(parsed, d.subject, d.score)
        for d in Assessment.objects(period=str(parsed), kind="unit")
    ]
    ranked = assessment_rules.rank_units(parsed, units, bottom)
    # cadres incompetent in this period and the one before it (调整不称职不胜任现职)
    cadres = sorted(Assessment.objects(period=str(parsed), kind="cadre").distinct("subject"))
    adjustments = assessment_rules.adjustments_in(parsed, [store.cadre_history(c) for c in cadres])
    _announce_ranking(str(parsed), ranked, caller)
    return {
        "period": str(parsed),
        "bottom": bottom,
        "items": [i.as_dict() for i in ranked.items],
        "next_cursor": None,
        "adjustments": [f.as_dict() for f in adjustments],
    }


def _announce_ranking(period, ranked, caller):
    """Send ``assessment.ranked`` when this period's ranking differs from the one last sent."""
    if not ranked.items:
        return
    event = ranked.events[0]
    digest = hashlib.sha256(json.dumps(event.data, sort_keys=True).encode()).hexdigest()
    try:
        Ranking.objects(key=period).update_one(upsert=True, set_on_insert__outbox_n=0, set_on_insert__version=0)
    except NotUniqueError:
        pass
    doc = Ranking.objects(key=period).first()
    if doc.digest == digest:
        return
    outbox.modify(
        Ranking.objects(key=period, version=doc.version),
        {"set__digest": digest, "inc__version": 1},
        [envelope(caller, event)],
    )
