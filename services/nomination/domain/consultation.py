"""The consultation step (征求分管领导和基层意见): hearing the leader in charge and the grassroots."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

from ._checks import FieldErrors, is_text
from .stages import Action, Stage, check_stage, stage_after
from .vocabulary import CONSULTATION_SOURCES

MAX_OPINION = 10_000


@dataclass(frozen=True)
class Consultation:
    """One opinion heard, the sources heard so far, and the stage the selection is in afterwards."""

    source: str
    opinion: str
    sources_heard: frozenset
    stage: Stage


def record_consultation(stage, sources_heard: Iterable[str], *, source, opinion) -> Consultation:
    """400 for bad fields, then the stage rule; moves to ``recommendation`` once both sources are heard.

    Hearing a source again before the other is allowed (a further opinion), it just does not advance.
    """
    errors = FieldErrors()
    if source not in CONSULTATION_SOURCES:
        errors.add("source", f"must be one of {', '.join(CONSULTATION_SOURCES)}")
    if not (is_text(opinion) and len(opinion) <= MAX_OPINION):
        errors.add("opinion", f"must be non-empty text of at most {MAX_OPINION} characters")
    errors.raise_if_any()
    check_stage(Action.CONSULTATION, stage)
    heard = frozenset(sources_heard) | {source}
    return Consultation(source, opinion.strip(), heard, stage_after(Action.CONSULTATION, stage, sources_heard=heard))
