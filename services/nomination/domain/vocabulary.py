"""The closed sets of names the nomination service accepts: ranks, post categories, modes, sources, kinds.

Terms:
- rank (职级): ``clerk`` (科员) < ``deputy_section`` (副科) < ``section`` (正科).
- post category and the nomination mode it gets (四种提名方式):
  ``key_leadership`` (科级重要领导岗位) → ``plenary_recommendation`` (区委全委会/常委会推荐);
  ``promotion`` (拟提拔岗位) → ``democratic_recommendation`` (基层民主推荐);
  ``lateral_transfer`` (平级交流岗位) → ``org_recommendation`` (组织部综合推荐);
  ``public_selection`` (公开选拔岗位) → ``public_selection`` (公开选拔).
- slate ratio (差额选任): a competitive selection needs two nominees per vacancy (1:2).
"""

from __future__ import annotations

from services.common.errors import Invalid

from ._checks import is_code

RANKS = ("clerk", "deputy_section", "section")
CATEGORIES = ("key_leadership", "promotion", "lateral_transfer", "public_selection")
MODE_BY_CATEGORY = {
    "key_leadership": "plenary_recommendation",
    "promotion": "democratic_recommendation",
    "lateral_transfer": "org_recommendation",
    "public_selection": "public_selection",
}
MODES = tuple(MODE_BY_CATEGORY.values())
SESSION_KINDS = ("plenary", "democratic")
# The ballot-session kind a mode's basis must come from; org_recommendation takes either kind.
SESSION_KIND_BY_MODE = {
    "plenary_recommendation": ("plenary",),
    "democratic_recommendation": ("democratic",),
    "org_recommendation": SESSION_KINDS,
    "public_selection": (),
}
CONSULTATION_SOURCES = ("leader_in_charge", "grassroots")
RELATION_KINDS = ("kin", "canvassing")
REVIEW_CLEARED = "cleared"

# A nominee's status within a selection, in the order it normally moves through them.
NOMINATED = "nominated"  # made by a nomination, not yet deliberated
SHORTLISTED = "shortlisted"  # fixed as an initial nominee by deliberation (酝酿)
APPOINTEE = "appointee"  # named by the committee's decision
APPOINTED = "appointed"
VOIDED = "voided"  # nomination voided (a concealment veto)
NOMINEE_STATUSES = (NOMINATED, SHORTLISTED, APPOINTEE, APPOINTED, VOIDED)

_RANK_LEVEL = {name: level for level, name in enumerate(RANKS)}


def validate_rank(rank, field: str = "rank") -> str:
    """The rank name itself, or 400 naming ``field``."""
    if rank not in _RANK_LEVEL:
        raise Invalid({field: [f"must be one of {', '.join(RANKS)}"]})
    return rank


def rank_level(rank) -> int:
    """0 for clerk up to 2 for section; 400 for an unknown name."""
    return _RANK_LEVEL[validate_rank(rank)]


def validate_category(category, field: str = "category") -> str:
    if category not in MODE_BY_CATEGORY:
        raise Invalid({field: [f"must be one of {', '.join(CATEGORIES)}"]})
    return category


def mode_for(category) -> str:
    """The nomination mode a post category gets."""
    return MODE_BY_CATEGORY[validate_category(category)]


def slate_ratio(competitive: bool) -> int:
    """Nominees needed per vacancy: 2 in a competitive selection (差额), else 1."""
    return 2 if competitive else 1


def validate_code(value, field: str = "code") -> str:
    """A code is 1–64 letters, digits, ``-`` and ``_``."""
    if not is_code(value):
        raise Invalid({field: ["must be 1-64 letters, digits, '-' or '_'"]})
    return value
