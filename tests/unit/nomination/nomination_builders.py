"""Builders for the nomination domain's unit tests."""

from datetime import datetime, timedelta, timezone

from services.nomination.domain.ballots import SessionOutcome
from services.nomination.domain.entities import Cadre
from services.nomination.domain.qualification import Qualification
from services.nomination.domain.selection import Selection

NOW = datetime(2024, 5, 6, 9, 0, tzinfo=timezone.utc)


def make_selection(**overrides) -> Selection:
    values = dict(
        id="sel1",
        post="P1",
        post_rank="deputy_section",
        category="promotion",
        vacancies=1,
        competitive=True,
        stage="recommendation",
        proposed_by="Secretary Li",
    )
    values.update(overrides)
    return Selection(**values)


def make_cadre(**overrides) -> Cadre:
    values = dict(code="C1", name="Zhang San", unit="U1", rank="clerk", grassroots_years=5)
    values.update(overrides)
    return Cadre(**values)


def make_qualification(**overrides) -> Qualification:
    values = dict(min_rank="clerk", min_grassroots_years=2, scope=frozenset({"U1", "U2"}))
    values.update(overrides)
    return Qualification(**values)


def make_session(**overrides) -> SessionOutcome:
    values = dict(
        id="S1",
        selection="sel1",
        kind="democratic",
        closed=True,
        quorum_met=True,
        valid=30,
        votes={"C1": 20, "C2": 10, "C3": 0},
    )
    values.update(overrides)
    return SessionOutcome(**values)


def meeting(**overrides) -> dict:
    values = dict(held_at=NOW, place="Room 3", attendees=9, present=6)
    values.update(overrides)
    return values


def committee_meeting(**overrides) -> dict:
    values = dict(held_at=NOW, place="Committee room", agenda_filed_at=NOW - timedelta(days=3), members=11, present=8)
    values.update(overrides)
    return values
