"""Routine assessment (平时考核): period scores for units and cadres, key-management units, adjustment flags.

Periods are written ``YYYY`` (a year), ``YYYY-H1``/``YYYY-H2`` (half years),
``YYYY-Q1``..``YYYY-Q4`` (quarters) or ``YYYY-MM`` (months ``01``..``12``), years 1900–2999.
Periods of one granularity form a sequence (``2026-Q4`` is followed by ``2027-Q1``);
two periods are *consecutive* only when they have the same granularity and the second
immediately follows the first. Mixed lists sort by start, then the longer period first.

Units ranked by score descending, ties by unit code; the bottom N are *key-management
units* (重点管理单位), each with a rectification task.

A cadre is *incompetent* (不称职) in a period when scored below 60. Incompetent in the two
latest assessed periods of a granularity, and those periods consecutive, flags the cadre
for adjustment (调整不称职不胜任现职). An older run followed by a better score does not flag:
the flag is about the cadre's present standing.
"""

import math
from dataclasses import dataclass, field
from functools import total_ordering
from numbers import Real

from services.common.errors import Invalid
from services.supervision.contract import PERIOD_KINDS, SCORE_MAX, SCORE_MIN, period_parts

from .base import Event

YEAR, HALF, QUARTER, MONTH = PERIOD_KINDS
_PER_YEAR = {YEAR: 1, HALF: 2, QUARTER: 4, MONTH: 12}

INCOMPETENT_BELOW = 60
CODE_MAX_CHARS = 64

EVENT_ASSESSMENT_RANKED = "assessment.ranked"


@total_ordering
@dataclass(frozen=True, eq=True)
class Period:
    """An assessment period: ``kind`` is year/half/quarter/month, ``index`` its place in the year."""

    year: int
    kind: str = YEAR
    index: int = 1

    @classmethod
    def parse(cls, text):
        """Parse a period string; Invalid ``{"period": [...]}`` when it is not one of the forms."""
        if isinstance(text, Period):
            return text
        return cls(*period_parts(text))

    @property
    def months(self):
        return 12 // _PER_YEAR[self.kind]

    @property
    def start_month(self):
        return (self.index - 1) * self.months + 1

    def _key(self):
        return (self.year, self.start_month, -self.months)

    def __lt__(self, other):
        if not isinstance(other, Period):
            return NotImplemented
        return self._key() < other._key()

    def next(self):
        """The period of the same granularity that immediately follows this one."""
        if self.index < _PER_YEAR[self.kind]:
            return Period(self.year, self.kind, self.index + 1)
        return Period(self.year + 1, self.kind, 1)

    def is_followed_by(self, other):
        return other == self.next()

    def __str__(self):
        if self.kind == YEAR:
            return f"{self.year}"
        if self.kind == HALF:
            return f"{self.year}-H{self.index}"
        if self.kind == QUARTER:
            return f"{self.year}-Q{self.index}"
        return f"{self.year}-{self.index:02d}"


def _score_errors(score):
    if isinstance(score, bool) or not isinstance(score, Real) or not math.isfinite(score):
        return ["Not a valid number."]
    if not SCORE_MIN <= score <= SCORE_MAX:
        return [f"Must be between {SCORE_MIN} and {SCORE_MAX}."]
    return None


def _code_errors(code):
    if not isinstance(code, str) or not code.strip():
        return ["Must not be empty."]
    if len(code) > CODE_MAX_CHARS:
        return [f"Longer than maximum length {CODE_MAX_CHARS}."]
    return None


def _validated(period, subject_field, subject, score):
    errors = {}
    try:
        period = Period.parse(period)
    except Invalid as exc:
        errors.update(exc.errors)
    for name, problems in ((subject_field, _code_errors(subject)), ("score", _score_errors(score))):
        if problems:
            errors[name] = problems
    if errors:
        raise Invalid(errors)
    return period


@dataclass(frozen=True)
class UnitAssessment:
    """A unit's routine-assessment score for one period."""

    period: Period
    unit: str
    score: float

    def as_dict(self):
        return {"period": str(self.period), "unit": self.unit, "score": self.score}


@dataclass(frozen=True)
class CadreAssessment:
    """A cadre's routine-assessment score for one period."""

    period: Period
    cadre: str
    score: float

    def as_dict(self):
        return {"period": str(self.period), "cadre": self.cadre, "score": self.score}


def assess_unit(period, unit, score):
    """Validate ``{period, unit, score}``; Invalid lists every bad field at once."""
    return UnitAssessment(_validated(period, "unit", unit, score), unit.strip(), score)


def assess_cadre(period, cadre, score):
    """Validate ``{period, cadre, score}``; Invalid lists every bad field at once."""
    return CadreAssessment(_validated(period, "cadre", cadre, score), cadre.strip(), score)


@dataclass(frozen=True)
class RectificationTask:
    """The rectification (整改) a key-management unit owes for a period."""

    unit: str
    period: Period
    title: str

    def as_dict(self):
        return {"unit": self.unit, "period": str(self.period), "title": self.title}


@dataclass(frozen=True)
class RankedUnit:
    rank: int
    unit: str
    score: float
    key_management: bool
    rectification: RectificationTask = None

    def as_dict(self):
        return {
            "rank": self.rank,
            "unit": self.unit,
            "score": self.score,
            "key_management": self.key_management,
            "rectification": self.rectification.as_dict() if self.rectification else None,
        }


@dataclass(frozen=True)
class Ranking:
    period: Period
    bottom: int
    items: tuple
    events: tuple = field(default_factory=tuple)

    @property
    def key_management(self):
        return tuple(item.unit for item in self.items if item.key_management)


def rank_units(period, assessments, bottom):
    """Rank the units assessed in ``period`` and flag the bottom ``bottom`` as key-management.

    Order: score descending, then unit code ascending; ranks are positions 1..n, so a tie
    at the cut-off is settled by unit code. ``bottom`` larger than the number of units
    flags them all. Assessments of other periods are ignored; two of one unit in the
    period is a storage error (ValueError).
    """
    period = Period.parse(period)
    if isinstance(bottom, bool) or not isinstance(bottom, int) or bottom < 0:
        raise Invalid({"bottom": ["Must be a whole number, 0 or more."]})
    mine = [a for a in assessments if a.period == period]
    if len({a.unit for a in mine}) != len(mine):
        raise ValueError("a unit has more than one score for the period")
    ordered = sorted(mine, key=lambda a: (-a.score, a.unit))
    cut = len(ordered) - min(bottom, len(ordered))
    items = []
    for position, a in enumerate(ordered, 1):
        flagged = position > cut
        task = None
        if flagged:
            task = RectificationTask(
                a.unit,
                period,
                (f"{period}平时考核排名第{position}位（共{len(ordered)}个单位），列为重点管理单位，限期整改"),
            )
        items.append(RankedUnit(position, a.unit, a.score, flagged, task))
    ranking = Ranking(period, bottom, tuple(items))
    event = Event(
        EVENT_ASSESSMENT_RANKED,
        f"assessment:{period}",
        {
            "period": str(period),
            "bottom": bottom,
            "units": [
                {"unit": i.unit, "score": i.score, "rank": i.rank, "key_management": i.key_management} for i in items
            ],
        },
    )
    return Ranking(period, bottom, ranking.items, (event,))


def is_incompetent(assessment, threshold=INCOMPETENT_BELOW):
    return assessment.score < threshold


@dataclass(frozen=True)
class AdjustmentFlag:
    """A cadre incompetent two periods running, to be adjusted (调整不称职不胜任现职)."""

    cadre: str
    periods: tuple  # the two consecutive periods, earlier first
    scores: tuple

    def as_dict(self):
        return {"cadre": self.cadre, "periods": [str(p) for p in self.periods], "scores": list(self.scores)}


def adjustment_flag(history, threshold=INCOMPETENT_BELOW):
    """The flag for one cadre's assessments, or None (see the module docstring for the rule)."""
    history = list(history)
    if len({a.cadre for a in history}) > 1:
        raise ValueError("history must be one cadre's")
    if len({a.period for a in history}) != len(history):
        raise ValueError("a cadre has more than one score for a period")
    flags = []
    for kind in _PER_YEAR:
        series = sorted((a for a in history if a.period.kind == kind), key=lambda a: a.period)
        if len(series) < 2:
            continue
        earlier, latest = series[-2], series[-1]
        if (
            earlier.period.is_followed_by(latest.period)
            and is_incompetent(earlier, threshold)
            and is_incompetent(latest, threshold)
        ):
            flags.append(AdjustmentFlag(latest.cadre, (earlier.period, latest.period), (earlier.score, latest.score)))
    return max(flags, key=lambda f: f.periods[1]) if flags else None


def adjustments_in(period, histories, threshold=INCOMPETENT_BELOW):
    """The cadres a ranking of ``period`` names for adjustment: those whose scores up to ``period`` flag
    them with ``period`` the latest of the two; ``histories`` holds each cadre's, in the order kept."""
    period = Period.parse(period)
    found = []
    for history in histories:
        flag = adjustment_flag([a for a in history if not period < a.period], threshold)
        if flag is not None and flag.periods[1] == period:
            found.append(flag)
    return found


def cadres_for_adjustment(assessments, threshold=INCOMPETENT_BELOW):
    """Every cadre flagged for adjustment, by cadre code."""
    by_cadre = {}
    for a in assessments:
        by_cadre.setdefault(a.cadre, []).append(a)
    flags = (adjustment_flag(h, threshold) for _, h in sorted(by_cadre.items()))
    return [f for f in flags if f is not None]
