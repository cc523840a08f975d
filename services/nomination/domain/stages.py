"""The selection's procedure as a state machine: which call belongs to which stage, and what comes next.

Stages follow the four-step nomination procedure (四步提名程序: 确定资格条件和范围, 征求分管领导和基层意见,
民主推荐, 集体研究) and then inspection (考察), joint review (会审), decision (讨论决定), public notice
(公示), appointment (任职) and post-appointment filing (任后备案).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Iterable

from services.common.errors import Conflict, RuleViolation
from services.nomination.contract import STAGES as STAGE_NAMES

from .vocabulary import CONSULTATION_SOURCES


# the contract's stages, in its order (the one list; the gateway reads it there)
Stage = StrEnum("Stage", [(name.upper(), name) for name in STAGE_NAMES])


class Action(StrEnum):
    QUALIFICATION = "qualification"
    CONSULTATION = "consultation"
    BALLOT_SESSION = "ballot_session"
    BALLOT = "ballot"
    CLOSE_SESSION = "close_session"
    NOMINATION = "nomination"
    DELIBERATION = "deliberation"
    INSPECTION = "inspection"
    DECISION = "decision"
    APPOINTMENT = "appointment"
    FILING = "filing"
    PRE_REPORT = "pre_report"
    OBSERVER = "observer"


STAGES = tuple(Stage)
_LEVEL = {stage: level for level, stage in enumerate(STAGES)}
_BEFORE_DECISION = STAGES[: _LEVEL[Stage.JOINT_REVIEW] + 1]

# API.md's stage table: the stages in which each call is allowed.
ALLOWED_STAGES: dict[Action, tuple[Stage, ...]] = {
    Action.QUALIFICATION: (Stage.MOTION,),
    Action.CONSULTATION: (Stage.QUALIFICATION, Stage.CONSULTATION),
    Action.BALLOT_SESSION: (Stage.RECOMMENDATION,),
    Action.BALLOT: (Stage.RECOMMENDATION,),
    Action.CLOSE_SESSION: (Stage.RECOMMENDATION,),
    Action.NOMINATION: (Stage.RECOMMENDATION,),
    Action.DELIBERATION: (Stage.RECOMMENDATION,),
    Action.INSPECTION: (Stage.INSPECTION,),
    Action.DECISION: (Stage.JOINT_REVIEW,),
    Action.APPOINTMENT: (Stage.PUBLIC_NOTICE, Stage.APPOINTMENT),
    Action.FILING: (Stage.FILING,),
    Action.PRE_REPORT: _BEFORE_DECISION,
    Action.OBSERVER: _BEFORE_DECISION,
}

# The stage a successful call moves to; calls missing here leave the stage where it is.
_NEXT: dict[Action, Stage] = {
    Action.QUALIFICATION: Stage.QUALIFICATION,
    Action.DELIBERATION: Stage.INSPECTION,
    Action.INSPECTION: Stage.JOINT_REVIEW,
    Action.DECISION: Stage.PUBLIC_NOTICE,
    Action.APPOINTMENT: Stage.FILING,
    Action.FILING: Stage.CLOSED,
}


def as_stage(stage) -> Stage:
    """The Stage for a stored name; ValueError for a name that is not a stage (a data bug)."""
    return Stage(stage)


def may_have_nominees(stage) -> bool:
    """Whether a selection at ``stage`` can have nominations: they are made only from the recommendation
    stage on (``ALLOWED_STAGES``), and a selection's stage never moves back."""
    return _LEVEL[as_stage(stage)] >= _LEVEL[ALLOWED_STAGES[Action.NOMINATION][0]]


def check_stage(action, stage) -> None:
    """Raise unless ``action`` belongs to ``stage``.

    A call that belongs to a later stage: 422 ``out_of_order``; to an earlier one: 409 ``wrong_stage``.
    """
    action, stage = Action(action), as_stage(stage)
    allowed = ALLOWED_STAGES[action]
    if stage in allowed:
        return
    if _LEVEL[stage] < _LEVEL[allowed[0]]:
        raise RuleViolation(f"{action} is not yet allowed: the selection is at {stage}", "out_of_order")
    raise Conflict(f"{action} is past: the selection is at {stage}", "wrong_stage")


def next_actions(stage) -> tuple[Action, ...]:
    """The calls allowed next at ``stage``, in the procedure's order: read from ``ALLOWED_STAGES``, the one
    stage table (supervision's pre-report and observer included; none once closed)."""
    stage = as_stage(stage)
    return tuple(action for action, allowed in ALLOWED_STAGES.items() if stage in allowed)


def stage_after(action, stage, *, sources_heard: Iterable[str] = ()) -> Stage:
    """The stage once ``action`` has succeeded at ``stage`` (``stage`` itself if it stays).

    ``sources_heard``: consultation sources heard so far, including the one just recorded;
    the selection leaves consultation once every source has been heard.
    """
    action, stage = Action(action), as_stage(stage)
    if action is Action.CONSULTATION:
        if set(CONSULTATION_SOURCES) <= set(sources_heard):
            return Stage.RECOMMENDATION
        return Stage.CONSULTATION
    return _NEXT.get(action, stage)


def stage_after_notice(*, notice_closed: bool, pending_objections: int, upheld_objections: int) -> Stage:
    """Where a selection in public notice goes when the notice or an objection changes.

    It stays in notice while the notice is open or an objection is pending; a notice closed
    with an upheld objection closes the selection without appointment.
    """
    if not notice_closed or pending_objections > 0:
        return Stage.PUBLIC_NOTICE
    if upheld_objections > 0:
        return Stage.CLOSED
    return Stage.APPOINTMENT


@dataclass(frozen=True)
class StageChange:
    """One item of a selection's ``history``; also the data of ``selection.stage_changed``."""

    from_stage: Stage
    to_stage: Stage
    action: str
    at: datetime

    def as_dict(self) -> dict:
        return {"from": str(self.from_stage), "to": str(self.to_stage), "action": str(self.action), "at": self.at}


def advance(action, stage, now: datetime, *, sources_heard: Iterable[str] = ()) -> StageChange | None:
    """Check ``action`` at ``stage`` and return the stage change it makes, or None if it stays."""
    check_stage(action, stage)
    new = stage_after(action, stage, sources_heard=sources_heard)
    if new == as_stage(stage):
        return None
    return StageChange(as_stage(stage), new, str(Action(action)), now)
