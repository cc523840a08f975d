"""Inspection (考察): one report per initial nominee; its rating (0–100) feeds the ranking."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Mapping

from services.common.errors import Invalid

from ._checks import FieldErrors, is_code, is_number, is_text
from .stages import Action, Stage, check_stage

MAX_SUMMARY = 10_000


@dataclass(frozen=True)
class InspectionReport:
    cadre: str
    summary: str
    rating: float


@dataclass(frozen=True)
class Inspection:
    reports: tuple
    stage: Stage = Stage.JOINT_REVIEW

    def ratings(self) -> dict:
        return {report.cadre: report.rating for report in self.reports}


def check_inspection(stage, *, reports, nominees: Iterable[str]) -> Inspection:
    """The inspection call: 400 for bad fields, the stage rule, then 400 unless there is exactly
    one report for each initial nominee and none for anybody else.

    ``nominees``: the initial nominees fixed by deliberation and not voided since.
    """
    if not (isinstance(reports, (list, tuple)) and reports):
        raise Invalid({"reports": ["must list at least one report"]})
    errors = FieldErrors()
    parsed = []
    for index, item in enumerate(reports):
        if not isinstance(item, Mapping):
            errors.add(f"reports.{index}", "must be an object with cadre, summary and rating")
            continue
        cadre, summary, rating = item.get("cadre"), item.get("summary"), item.get("rating")
        if not is_code(cadre):
            errors.add(f"reports.{index}.cadre", "must be a cadre code")
        if not (is_text(summary) and len(summary) <= MAX_SUMMARY):
            errors.add(f"reports.{index}.summary", "must be non-empty text")
        if not (is_number(rating) and 0 <= rating <= 100):
            errors.add(f"reports.{index}.rating", "must be a number from 0 to 100")
        for name in item:
            if name not in ("cadre", "summary", "rating"):
                errors.add(f"reports.{index}.{name}", "unknown field")
        if not errors:
            parsed.append(InspectionReport(cadre, summary.strip(), rating))
    errors.raise_if_any()
    check_stage(Action.INSPECTION, stage)
    expected = set(nominees)
    seen: set = set()
    for index, report in enumerate(parsed):
        if report.cadre not in expected:
            errors.add(f"reports.{index}.cadre", "is not an initial nominee of this selection")
        elif report.cadre in seen:
            errors.add(f"reports.{index}.cadre", "has a report already")
        seen.add(report.cadre)
    if expected - seen:
        errors.add("reports", f"{len(expected - seen)} initial nominee(s) have no report")
    errors.raise_if_any()
    return Inspection(tuple(parsed))
