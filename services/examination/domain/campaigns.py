"""Public-selection campaigns (公开选拔): their settings and the unseal timing and order."""

from decimal import Decimal, InvalidOperation

from services.common.errors import Conflict, Invalid
from services.examination.contract import STAGES
from services.examination.sealing.shares import MAX_OFFICERS


def check_campaign(posts, weights, interview_ratio, threshold, officers):
    """Cross-field rules of ``POST /campaigns`` that a field schema cannot express; 400 naming each field.

    Posts have distinct codes and at least one seat; the two weights are
    non-negative and add up to 1, so a total stays on the 0–100 scale; the
    interview ratio is at least 1; the threshold is between 1 and the number of
    (distinct) officers.
    """
    errors = {}
    codes = [p.get("code") for p in posts or []]
    if not codes:
        errors["posts"] = ["must list at least one post"]
    elif len(set(codes)) != len(codes):
        errors["posts"] = ["post codes must be distinct"]
    elif any(not isinstance(p.get("seats"), int) or isinstance(p.get("seats"), bool) or p["seats"] < 1 for p in posts):
        errors["posts"] = ["every post needs at least one seat"]
    try:
        written, interview = _decimal(weights["written"]), _decimal(weights["interview"])
        if written < 0 or interview < 0 or written + interview != 1:
            errors["weights"] = ["written and interview must be non-negative and add up to 1"]
    except (KeyError, TypeError, InvalidOperation):
        errors["weights"] = ["must give numeric written and interview weights"]
    try:
        if _decimal(interview_ratio) < 1:
            errors["interview_ratio"] = ["must be at least 1"]
    except (TypeError, InvalidOperation):
        errors["interview_ratio"] = ["must be a number"]
    if not officers or len(set(officers)) != len(officers) or len(officers) > MAX_OFFICERS:
        errors["unseal.officers"] = [f"must be 1 to {MAX_OFFICERS} distinct names"]
    elif not isinstance(threshold, int) or isinstance(threshold, bool) or not 1 <= threshold <= len(officers):
        errors["unseal.threshold"] = ["must be between 1 and the number of officers"]
    if errors:
        raise Invalid(errors)


def _decimal(value):
    # str() first: 0.1 + 0.2 must add up to 0.3 for the weights check.
    if isinstance(value, bool) or not isinstance(value, (int, float, Decimal)):
        raise TypeError("not a number")
    result = Decimal(str(value))
    if not result.is_finite():
        raise InvalidOperation
    return result


def check_unseal(stage, now, not_before, unsealed_stages):
    """Whether ``stage`` may be unsealed now.

    409 ``too_early`` before ``not_before``; 409 ``already_unsealed`` for a stage
    already open; the interview stage waits for the written one (409
    ``wrong_stage``), since its candidates come from the written shortlist.
    """
    if stage not in STAGES:
        raise Invalid({"stage": [f"must be one of {', '.join(STAGES)}"]})
    if now < not_before:
        raise Conflict("the unseal time has not come", "too_early")
    if stage in unsealed_stages:
        raise Conflict("this stage is already unsealed", "already_unsealed")
    if stage == "interview" and "written" not in unsealed_stages:
        raise Conflict("the written stage must be unsealed first", "wrong_stage")


def check_sheet_accepted(stage, unsealed_stages, known_commitments, commitment):
    """A sheet can be received only while its stage is sealed, and only once (409 otherwise)."""
    if stage in unsealed_stages:
        raise Conflict("this stage is already unsealed", "already_unsealed")
    if commitment in known_commitments:
        raise Conflict("this sheet was already submitted", "already_submitted")
