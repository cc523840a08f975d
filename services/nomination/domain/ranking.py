"""The "four emphases" (四重) ranking of nominees: a weighted composite of four components, each 0–100.

Components: ``integrity_ability`` (重德才: the inspection rating), ``performance`` (重实绩: the
cadre's unit's routine-assessment score), ``public_opinion`` (重公论: the cadre's share, in percent,
of the valid ballots of the selection's best quorate session), ``grassroots`` (重基层一线:
grassroots years, 10 points a year up to 100).
"""

from __future__ import annotations

import math
from typing import Iterable, Mapping, Sequence

from services.common.errors import Invalid

from ._checks import is_number

COMPONENTS = ("integrity_ability", "performance", "public_opinion", "grassroots")
DEFAULT_WEIGHTS = {name: 0.25 for name in COMPONENTS}
GRASSROOTS_POINTS_PER_YEAR = 10
SCORE_CAP = 100
_SUM_TOLERANCE = 1e-9


def validate_weights(weights: Mapping | None) -> dict:
    """The four weights, non-negative and summing to 1; None gives 0.25 each. 400 otherwise."""
    if weights is None:
        return dict(DEFAULT_WEIGHTS)
    if not isinstance(weights, Mapping):
        raise Invalid({"weights": [f"must be an object with {', '.join(COMPONENTS)}"]})
    errors: dict[str, list[str]] = {}
    for name in weights:
        if name not in COMPONENTS:
            errors.setdefault(f"weights.{name}", []).append("unknown component")
    for name in COMPONENTS:
        value = weights.get(name)
        if not (is_number(value) and value >= 0):
            errors.setdefault(f"weights.{name}", []).append("must be a number of at least 0")
    if not errors and not math.isclose(math.fsum(weights[n] for n in COMPONENTS), 1.0, abs_tol=_SUM_TOLERANCE):
        errors["weights"] = ["must sum to 1"]
    if errors:
        raise Invalid(errors)
    return {name: float(weights[name]) for name in COMPONENTS}


def grassroots_score(years: float) -> float:
    return float(min(SCORE_CAP, max(0, years) * GRASSROOTS_POINTS_PER_YEAR))


def best_session(sessions: Iterable):
    """The closed, quorate session with the most valid ballots (the later one on a tie), or None."""
    best = None
    for session in sessions:
        if session.closed and session.quorum_met and (best is None or session.valid >= best.valid):
            best = session
    return best


def vote_share(session, cadre: str) -> float:
    """Percent of the session's valid ballots that chose ``cadre``; 0 without a session or valid ballots."""
    if session is None or session.valid <= 0:
        return 0.0
    return 100.0 * session.votes.get(cadre, 0) / session.valid


def rank_nominees(
    nominees: Sequence[str],
    *,
    ratings: Mapping[str, float],
    performance: Mapping[str, float | None],
    grassroots_years: Mapping[str, float],
    sessions: Iterable = (),
    weights: Mapping | None = None,
) -> dict:
    """Rank ``nominees`` by composite, highest first; equal composites share a rank (1, 1, 3).

    A missing rating or performance score counts 0 and is named in the item's ``missing``.
    Composite and components are rounded to 2 decimals, and the rank follows the shown composite.
    Returns ``{"weights": {...}, "items": [{cadre, components, missing, composite, rank}]}``.
    """
    weights = validate_weights(weights)
    session = best_session(sessions)
    items = []
    for cadre in nominees:
        missing = []
        rating = ratings.get(cadre)
        if rating is None:
            missing.append("integrity_ability")
        score = performance.get(cadre)
        if score is None:
            missing.append("performance")
        components = {
            "integrity_ability": float(rating or 0),
            "performance": float(score or 0),
            "public_opinion": vote_share(session, cadre),
            "grassroots": grassroots_score(grassroots_years.get(cadre, 0)),
        }
        composite = math.fsum(weights[n] * components[n] for n in COMPONENTS)
        items.append(
            {
                "cadre": cadre,
                "components": {n: round(v, 2) for n, v in components.items()},
                "missing": missing,
                "composite": round(composite, 2),
            }
        )
    items.sort(key=lambda item: (-item["composite"], item["cadre"]))
    for position, item in enumerate(items):
        tied = position and item["composite"] == items[position - 1]["composite"]
        item["rank"] = items[position - 1]["rank"] if tied else position + 1
    return {"weights": weights, "items": items, "session": getattr(session, "id", None)}
