"""The qualification step (确定资格条件和范围): conditions and scope, and whether a cadre falls within them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

from services.common.errors import RuleViolation

from ._checks import FieldErrors, is_code, is_number
from .entities import Cadre
from .stages import Action, check_stage
from .vocabulary import RANKS, rank_level

MAX_SCOPE = 1000


CONDITIONS = ("min_rank", "min_grassroots_years")


@dataclass(frozen=True)
class Qualification:
    """Who may be nominated: from a unit in ``scope`` and, where set, at least ``min_rank`` and
    ``min_grassroots_years``. A condition left out (None) sets no such condition."""

    min_rank: str | None
    min_grassroots_years: float | None
    scope: frozenset

    def as_dict(self) -> dict:
        """Only the conditions set, as they were given (``conditions: {}`` when none)."""
        conditions = {name: getattr(self, name) for name in CONDITIONS if getattr(self, name) is not None}
        return {"conditions": conditions, "scope": sorted(self.scope)}


def parse_qualification(conditions, scope) -> Qualification:
    """400 naming every bad field of ``{conditions: {min_rank?, min_grassroots_years?}, scope}``;
    each condition is optional, an explicit null the same as left out."""
    errors = FieldErrors()
    if not isinstance(conditions, Mapping):
        errors.add("conditions", "must be an object with min_rank and/or min_grassroots_years")
        conditions = {}
    else:
        for field in conditions:
            if field not in CONDITIONS:
                errors.add(f"conditions.{field}", "unknown field")
        if conditions.get("min_rank") is not None and conditions["min_rank"] not in RANKS:
            errors.add("conditions.min_rank", f"must be one of {', '.join(RANKS)}")
        years = conditions.get("min_grassroots_years")
        if years is not None and not (is_number(years) and years >= 0):
            errors.add("conditions.min_grassroots_years", "must be a number of at least 0")
    if not (isinstance(scope, (list, tuple)) and 1 <= len(scope) <= MAX_SCOPE):
        errors.add("scope", f"must list 1 to {MAX_SCOPE} unit codes")
    elif not all(is_code(unit) for unit in scope):
        errors.add("scope", "every item must be a unit code")
    elif len(set(scope)) != len(scope):
        errors.add("scope", "must not repeat a unit")
    errors.raise_if_any()
    return Qualification(conditions.get("min_rank"), conditions.get("min_grassroots_years"), frozenset(scope))


def set_qualification(stage, conditions, scope) -> Qualification:
    """The qualification call: 400 for bad fields, then the stage rule (it belongs to ``motion``)."""
    qualification = parse_qualification(conditions, scope)
    check_stage(Action.QUALIFICATION, stage)
    return qualification


def eligibility_failures(cadre: Cadre, qualification: Qualification) -> list[str]:
    """Which conditions ``cadre`` misses: any of ``scope``, ``min_rank``, ``min_grassroots_years``
    (a condition not set is never missed)."""
    failures = []
    if cadre.unit not in qualification.scope:
        failures.append("scope")
    if qualification.min_rank is not None and rank_level(cadre.rank) < rank_level(qualification.min_rank):
        failures.append("min_rank")
    if qualification.min_grassroots_years is not None and cadre.grassroots_years < qualification.min_grassroots_years:
        failures.append("min_grassroots_years")
    return failures


def check_eligible(cadre: Cadre, qualification: Qualification | None) -> None:
    """422 ``not_eligible`` when the cadre is outside the scope or below a condition."""
    if qualification is None:
        raise RuleViolation("the selection has no qualification conditions", "not_eligible")
    failures = eligibility_failures(cadre, qualification)
    if failures:
        raise RuleViolation("the cadre does not meet: " + ", ".join(failures), "not_eligible")
