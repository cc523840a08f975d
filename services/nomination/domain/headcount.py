"""Headcount bookkeeping (职数): free vacancies of a post and the deltas each selection event applies.

A post holds ``headcount`` places; ``occupied`` are filled, ``reserved`` are held by open
selections. Deltas are meant for an atomic ``$inc`` on the post, so they carry signs.
"""

from __future__ import annotations

from dataclasses import dataclass

from services.common.errors import RuleViolation


@dataclass(frozen=True)
class HeadcountDelta:
    """How much ``occupied`` and ``reserved`` change; add it to the post's counters."""

    occupied: int = 0
    reserved: int = 0

    def as_inc(self) -> dict:
        """The same delta as mongoengine ``update(**...)`` keywords."""
        return {"inc__occupied": self.occupied, "inc__reserved": self.reserved}


def free_vacancies(headcount: int, occupied: int, reserved: int) -> int:
    return headcount - occupied - reserved


def check_vacancies(vacancies: int, *, headcount: int, occupied: int, reserved: int) -> None:
    """422 ``over_headcount`` when a selection asks for more places than the post has free."""
    if vacancies > free_vacancies(headcount, occupied, reserved):
        raise RuleViolation("more vacancies than the post has free", "over_headcount")


def reserve(vacancies: int) -> HeadcountDelta:
    """Opening a selection holds its vacancies."""
    return HeadcountDelta(reserved=vacancies)


def release(vacancies: int) -> HeadcountDelta:
    """A selection closed without appointment gives its vacancies back."""
    return HeadcountDelta(reserved=-vacancies)


def appoint(appointees: int, vacancies: int) -> HeadcountDelta:
    """An appointment fills places and drops the selection's whole reservation."""
    return HeadcountDelta(occupied=appointees, reserved=-vacancies)


def apply_delta(headcount: int, occupied: int, reserved: int, delta: HeadcountDelta) -> tuple[int, int]:
    """The post's new ``(occupied, reserved)``; ValueError if the books would not balance.

    A failure here is a bookkeeping bug (a delta applied twice or out of turn), not a
    caller's mistake, hence ValueError rather than a problem code.
    """
    new_occupied, new_reserved = occupied + delta.occupied, reserved + delta.reserved
    if new_occupied < 0 or new_reserved < 0 or new_occupied + new_reserved > headcount:
        raise ValueError("headcount books would not balance")
    return new_occupied, new_reserved


def post_counts(headcount: int, occupied: int, reserved: int) -> dict:
    """The counters as ``GET /posts/{code}`` shows them."""
    return {
        "headcount": headcount,
        "occupied": occupied,
        "reserved": reserved,
        "vacancies": free_vacancies(headcount, occupied, reserved),
    }
