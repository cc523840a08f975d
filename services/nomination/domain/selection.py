"""Opening a selection (选任): the motion (动议), its mode, slate ratio and the vacancies it reserves."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

from services.common.errors import Invalid

from ._checks import FieldErrors, is_int, is_text
from .entities import Post
from .headcount import HeadcountDelta, check_vacancies, reserve
from .ranking import validate_weights
from .stages import Stage
from .vocabulary import MODE_BY_CATEGORY, slate_ratio

MAX_TEXT = 2000


@dataclass(frozen=True)
class Motion:
    """The motion (动议) that starts a selection; ``proposed_by`` matters for kin relations later."""

    proposed_by: str
    reason: str


@dataclass(frozen=True)
class Selection:
    """What the rules need to know of a stored selection; the service builds it from its model."""

    id: str
    post: str
    post_rank: str
    category: str
    vacancies: int
    competitive: bool
    stage: str
    proposed_by: str

    @property
    def mode(self) -> str:
        return MODE_BY_CATEGORY[self.category]

    @property
    def slate_ratio(self) -> int:
        return slate_ratio(self.competitive)


@dataclass(frozen=True)
class OpenedSelection:
    """A new selection's fields, and the reservation to apply to its post in the same write."""

    post: str
    mode: str
    competitive: bool
    slate_ratio: int
    stage: Stage
    vacancies: int
    motion: Motion
    weights: dict
    reserve: HeadcountDelta

    def as_dict(self) -> dict:
        """The selection as ``POST /selections`` answers it (the caller adds ``id``)."""
        return {
            "post": self.post,
            "mode": self.mode,
            "competitive": self.competitive,
            "slate_ratio": self.slate_ratio,
            "stage": str(self.stage),
            "vacancies": self.vacancies,
        }


def parse_motion(value) -> Motion:
    errors = FieldErrors()
    if not isinstance(value, Mapping):
        raise Invalid({"motion": ["must be an object with proposed_by and reason"]})
    for field in ("proposed_by", "reason"):
        text = value.get(field)
        if not (is_text(text) and len(text) <= MAX_TEXT):
            errors.add(f"motion.{field}", "must be non-empty text")
    for field in value:
        if field not in ("proposed_by", "reason"):
            errors.add(f"motion.{field}", "unknown field")
    errors.raise_if_any()
    return Motion(value["proposed_by"].strip(), value["reason"].strip())


def open_selection(post: Post, *, vacancies, competitive, motion, weights=None) -> OpenedSelection:
    """Validate a new selection of ``post``: 400 for bad fields, then 422 ``over_headcount``.

    ``weights`` (optional, the four emphases' weights) default to 0.25 each.
    """
    errors = FieldErrors()
    if not (is_int(vacancies) and vacancies >= 1):
        errors.add("vacancies", "must be a whole number of at least 1")
    if not isinstance(competitive, bool):
        errors.add("competitive", "must be true or false")
    try:
        parsed_motion = parse_motion(motion)
    except Invalid as exc:
        errors.absorb(exc)
    try:
        parsed_weights = validate_weights(weights)
    except Invalid as exc:
        errors.absorb(exc)
    errors.raise_if_any()
    check_vacancies(vacancies, headcount=post.headcount, occupied=post.occupied, reserved=post.reserved)
    return OpenedSelection(
        post=post.code,
        mode=MODE_BY_CATEGORY[post.category],
        competitive=competitive,
        slate_ratio=slate_ratio(competitive),
        stage=Stage.MOTION,
        vacancies=vacancies,
        motion=parsed_motion,
        weights=parsed_weights,
        reserve=reserve(vacancies),
    )
