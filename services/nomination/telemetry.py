"""The nomination service's domain metrics: selections by stage, ballots cast, discipline violations."""

import functools

from prometheus_client import Counter, Gauge

from services.common.errors import Conflict, Forbidden, RuleViolation
from services.common.mongo import counts_by

SELECTIONS_BY_STAGE = Gauge("cadre_nomination_selections", "Selections by the stage they rest in.", ["stage"])
BALLOTS_CAST = Counter("cadre_nomination_ballots_cast_total", "Secret ballots accepted.")
DISCIPLINE_VIOLATIONS = Counter(
    "cadre_nomination_discipline_violations_total",
    "Calls refused by a rule of the procedure (422), by rule code.",
    ["code"],
)

BALLOTS_REFUSED = Counter(
    "cadre_nomination_ballots_refused_total", "Ballots refused: unknown, reused or late tokens, by code.", ["code"]
)

_stale = {"flag": True}


def refresh_stage_gauge_soon():
    """A stage may have changed: the next timer tick recounts."""
    _stale["flag"] = True


def refresh_stage_gauge(selection_cls, stages, force=False):
    if not (force or _stale["flag"]):
        return
    _stale["flag"] = False
    counts = counts_by(selection_cls._get_collection(), "stage", [str(stage) for stage in stages])
    for stage, n in counts.items():
        SELECTIONS_BY_STAGE.labels(stage).set(n)


def counts_violations(method):
    """Count each 422 an entrypoint answers, by its code (never by id)."""

    @functools.wraps(method)
    def wrapper(*args, **kwargs):
        try:
            return method(*args, **kwargs)
        except RuleViolation as violation:
            DISCIPLINE_VIOLATIONS.labels(violation.code).inc()
            raise

    return wrapper


def counts_refused_ballots(method):
    """Count each refused ballot by its code (``invalid_token``, ``token_used``, ``session_closed``):
    a spike of reused or forged tokens is an attack on the secret ballot an operator must see."""

    @functools.wraps(method)
    def wrapper(*args, **kwargs):
        try:
            return method(*args, **kwargs)
        except (Forbidden, Conflict) as refusal:
            BALLOTS_REFUSED.labels(refusal.code).inc()
            raise

    return wrapper
