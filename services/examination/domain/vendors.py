"""Outside vendors and the "three outside" rule.

"Three outside" (三个在外): papers are set outside, grading and score entry
are done outside, and interview examiners come from outside — by vendors with
no affiliation to any local unit, who only ever see blind codes.
"""

from dataclasses import dataclass

from services.common.errors import Forbidden, Invalid, RuleViolation
from services.examination.contract import ROLES
from services.examination.sealing.keys import parse_verify_key

# Whose sheets a stage takes, and who may list that stage's blind codes.
STAGE_ROLES = {"written": "grading", "interview": "interview"}


@dataclass(frozen=True)
class Vendor:
    code: str
    name: str
    roles: tuple
    signing_key: str  # base64 raw Ed25519 public key, checked
    affiliations: tuple


def register_vendor(code, name, roles, signing_key, affiliations, local_units):
    """Check a vendor registration; ``local_units`` are the codes of the district's own units.

    400 ``invalid`` for an unknown or repeated role, no role, or a malformed
    signing key; 422 ``not_outside`` for an affiliation with a local unit.
    """
    errors = {}
    if not roles or not isinstance(roles, (list, tuple)):
        errors["roles"] = ["must name at least one role"]
    elif any(r not in ROLES for r in roles) or len(set(roles)) != len(roles):
        errors["roles"] = [f"each must be one of {', '.join(ROLES)}, once"]
    if not isinstance(affiliations, (list, tuple)) or not all(isinstance(a, str) for a in affiliations):
        errors["affiliations"] = ["must be a list of unit codes"]
    try:
        parse_verify_key(signing_key, "signing_key")
    except Invalid as exc:
        errors.update(exc.errors)
    if errors:
        raise Invalid(errors)
    check_outside(affiliations, local_units)
    return Vendor(code, name, tuple(roles), signing_key, tuple(affiliations))


def check_outside(affiliations, local_units):
    """422 ``not_outside`` when any affiliation is a local unit (checked again at every assignment)."""
    local = set(local_units)
    if any(a in local for a in affiliations):
        raise RuleViolation("the vendor is affiliated with a local unit", "not_outside")


def check_assignment(vendor_roles, role, affiliations=(), local_units=()):
    """A vendor may be assigned to a campaign only for a role it registered, and only while outside."""
    if role not in ROLES:
        raise Invalid({"role": [f"must be one of {', '.join(ROLES)}"]})
    if role not in vendor_roles:
        raise Invalid({"role": ["the vendor is not registered for this role"]})
    check_outside(affiliations, local_units)


def stage_role(stage):
    """The vendor role whose sheets (and blind-code listing) belong to ``stage``."""
    try:
        return STAGE_ROLES[stage]
    except KeyError:
        raise Invalid({"stage": [f"must be one of {', '.join(STAGE_ROLES)}"]}) from None


def check_stage_access(stage, assigned_roles):
    """403 unless the vendor is assigned to the campaign in the role ``stage`` needs."""
    if stage_role(stage) not in set(assigned_roles):
        raise Forbidden("the vendor is not assigned to this campaign for this stage")
