"""Nominations (提名) and the six nomination disciplines (六条提名纪律) a nomination is checked against.

The disciplines: no nomination over headcount or rank (不得超职数或超职级提名, ``over_headcount`` is
checked when the selection opens, ``over_rank`` here); no personal opinion in place of democratic
recommendation or a meeting's study (不得以个人意见代替民主推荐(会议研究)提名, ``no_basis``); no ad hoc
motion (不得临时动议提名, ``ad_hoc_motion``, at the decision); no breach of the procedure (不得违反规定程序
提名, ``out_of_order``/``wrong_stage``/``quorum_not_met``); no concealment of facts (不得隐瞒事实真相提名,
``concealment``); no non-organizational activity (不得搞非组织活动提名, ``non_organizational_activity``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

from services.common.errors import Invalid, RuleViolation

from ._checks import FieldErrors, is_text
from .ballots import SessionOutcome
from .entities import Cadre
from .qualification import Qualification, check_eligible
from .selection import Selection
from .stages import Action, check_stage
from .vocabulary import NOMINATED, RELATION_KINDS, SESSION_KIND_BY_MODE, rank_level

BASIS_KINDS = ("ballot_session", "resolution", "campaign")
MAX_RELATIONS = 100
MAX_TEXT = 2000


@dataclass(frozen=True)
class Basis:
    """What a nomination rests on: a ballot session id, a resolution reference or a campaign code."""

    kind: str
    reference: str

    def as_dict(self) -> dict:
        return {self.kind: self.reference}


@dataclass(frozen=True)
class Relation:
    person: str
    kind: str


@dataclass(frozen=True)
class CampaignOutcome:
    """A public-selection campaign's results for the post, as the examination service published them.

    ``ranking`` maps the cadre code of each ranked candidate to its rank (1 is best); the
    service resolves candidates to cadres before calling.
    """

    code: str
    published: bool
    seats: int
    ranking: Mapping[str, int]


def campaign_outcome(code, published_posts, post, cadre_code, cadre_name):
    """The published results of campaign ``code`` for ``post`` as they bear on one cadre.

    A cadre is a published candidate when its code is the candidate's exam number, or else when its
    name is the name of exactly one candidate in that post's ranking. ``published_posts`` is None
    when the campaign has published nothing.
    """
    if published_posts is None:
        return None
    for item in published_posts:
        if item.get("post") != post:
            continue
        ranking = item.get("ranking", [])
        by_number = [c for c in ranking if c.get("exam_number") == cadre_code]
        named = [c for c in ranking if c.get("name") == cadre_name]
        match = by_number[0] if by_number else (named[0] if len(named) == 1 else None)
        return CampaignOutcome(code, True, int(item.get("seats", 0)), {cadre_code: int(match["rank"])} if match else {})
    return CampaignOutcome(code, True, 0, {})


@dataclass(frozen=True)
class Nomination:
    cadre: str
    basis: Basis
    personal_matters_reported: bool
    relations: tuple
    status: str = NOMINATED

    def as_dict(self) -> dict:
        return {
            "cadre": self.cadre,
            "basis": self.basis.as_dict(),
            "disclosure": {"personal_matters_reported": self.personal_matters_reported},
            "relations": [{"person": r.person, "kind": r.kind} for r in self.relations],
            "status": self.status,
        }


def parse_basis(value) -> Basis | None:
    """None when no basis is given (that is ``no_basis``, not a malformed body); 400 when malformed."""
    if value is None or (isinstance(value, Mapping) and not value):
        return None
    if not isinstance(value, Mapping) or len(value) != 1:
        raise Invalid({"basis": ["must be one of {ballot_session}, {resolution}, {campaign}"]})
    ((kind, reference),) = value.items()
    if kind not in BASIS_KINDS:
        raise Invalid({"basis": ["must be one of {ballot_session}, {resolution}, {campaign}"]})
    if not isinstance(reference, str) or len(reference) > MAX_TEXT:
        raise Invalid({f"basis.{kind}": ["must be text"]})
    # An empty reference is kept: it is a basis in name only, which the rule answers with no_basis.
    return Basis(kind, reference.strip())


def parse_disclosure(value) -> bool:
    """True only when personal matters were reported; an absent disclosure reports nothing."""
    if value is None:
        return False
    if not isinstance(value, Mapping):
        raise Invalid({"disclosure": ["must be an object with personal_matters_reported"]})
    errors = FieldErrors()
    for name in value:
        if name != "personal_matters_reported":
            errors.add(f"disclosure.{name}", "unknown field")
    reported = value.get("personal_matters_reported", False)
    if not isinstance(reported, bool):
        errors.add("disclosure.personal_matters_reported", "must be true or false")
    errors.raise_if_any()
    return reported


def parse_relations(value) -> tuple:
    if value is None:
        return ()
    if not (isinstance(value, (list, tuple)) and len(value) <= MAX_RELATIONS):
        raise Invalid({"relations": [f"must be a list of at most {MAX_RELATIONS} relations"]})
    errors = FieldErrors()
    relations = []
    for index, item in enumerate(value):
        if not isinstance(item, Mapping):
            errors.add(f"relations.{index}", "must be an object with person and kind")
            continue
        person, kind = item.get("person"), item.get("kind")
        if not (is_text(person) and len(person) <= MAX_TEXT):
            errors.add(f"relations.{index}.person", "must be non-empty text")
        if kind not in RELATION_KINDS:
            errors.add(f"relations.{index}.kind", f"must be one of {', '.join(RELATION_KINDS)}")
        for name in item:
            if name not in ("person", "kind"):
                errors.add(f"relations.{index}.{name}", "unknown field")
        if is_text(person) and kind in RELATION_KINDS:
            relations.append(Relation(person.strip(), kind))
    errors.raise_if_any()
    return tuple(relations)


def rank_fits(category: str, post_rank: str, cadre_rank: str) -> bool:
    """Promotion: exactly one rank below the post; lateral transfer: the same rank;
    key leadership: the post's rank or one below; public selection: any rank."""
    gap = rank_level(post_rank) - rank_level(cadre_rank)
    if category == "promotion":
        return gap == 1
    if category == "lateral_transfer":
        return gap == 0
    if category == "key_leadership":
        return gap in (0, 1)
    if category == "public_selection":
        return True
    raise ValueError("unknown post category")


def check_rank(category: str, post_rank: str, cadre_rank: str) -> None:
    """422 ``over_rank`` when the cadre's rank does not fit the post for its category."""
    if not rank_fits(category, post_rank, cadre_rank):
        raise RuleViolation("the cadre's rank does not fit the post", "over_rank")


def check_disclosure(personal_matters_reported: bool) -> None:
    """422 ``concealment`` unless personal matters were reported."""
    if personal_matters_reported is not True:
        raise RuleViolation("personal matters were not reported", "concealment")


def check_relations(relations, proposed_by: str) -> None:
    """422 ``non_organizational_activity``: any canvassing, or kin of whoever proposed the motion."""
    proposer = (proposed_by or "").strip()
    for relation in relations:
        if relation.kind == "canvassing" or (relation.kind == "kin" and relation.person == proposer):
            raise RuleViolation("a relation amounts to non-organizational activity", "non_organizational_activity")


def _no_basis(detail: str):
    return RuleViolation(detail, "no_basis")


def check_basis(
    selection: Selection,
    cadre: str,
    basis: Basis | None,
    *,
    session: SessionOutcome | None = None,
    campaign: CampaignOutcome | None = None,
) -> None:
    """422 ``no_basis`` unless the basis fits the selection's mode and really supports this cadre.

    ``session``/``campaign``: what the basis's reference names, as found by the service
    (None when nothing by that reference exists).
    """
    if basis is None:
        raise _no_basis("a nomination needs a basis")
    if basis.kind == "ballot_session":
        kinds = SESSION_KIND_BY_MODE[selection.mode]
        if not kinds:
            raise _no_basis("this mode does not nominate from a ballot session")
        if session is None or session.id != basis.reference or session.selection != selection.id:
            raise _no_basis("no ballot session of this selection by that reference")
        if session.kind not in kinds:
            raise _no_basis("the ballot session is not of the kind this mode needs")
        if not session.closed:
            raise _no_basis("the ballot session is not closed")
        if not session.quorum_met:
            raise _no_basis("the ballot session did not reach quorum and is void")
        if session.votes.get(cadre, 0) <= 0:
            raise _no_basis("the cadre received no votes in the ballot session")
    elif basis.kind == "resolution":
        if selection.mode != "org_recommendation":
            raise _no_basis("this mode does not nominate by resolution")
        if not basis.reference:
            raise _no_basis("the resolution reference is empty")
    else:
        if selection.mode != "public_selection":
            raise _no_basis("this mode does not nominate from a campaign")
        if campaign is None or campaign.code != basis.reference:
            raise _no_basis("no campaign by that reference")
        if not campaign.published:
            raise _no_basis("the campaign's results are not published")
        rank = campaign.ranking.get(cadre)
        if rank is None or rank > campaign.seats:
            raise _no_basis("the candidate did not rank within the seats")


def check_nomination(
    selection: Selection,
    cadre: Cadre,
    qualification: Qualification | None,
    *,
    basis,
    disclosure,
    relations,
    session: SessionOutcome | None = None,
    campaign: CampaignOutcome | None = None,
) -> Nomination:
    """The nomination call: 400 for a malformed body, then, first failure wins:
    ``out_of_order``/``wrong_stage``, ``not_eligible``, ``over_rank``, ``concealment``,
    ``non_organizational_activity``, ``no_basis``.

    ``basis``, ``disclosure`` and ``relations`` are the request's raw values.
    """
    errors = FieldErrors()
    parsed = {}
    for name, parse, raw in (
        ("basis", parse_basis, basis),
        ("disclosure", parse_disclosure, disclosure),
        ("relations", parse_relations, relations),
    ):
        try:
            parsed[name] = parse(raw)
        except Invalid as exc:
            errors.absorb(exc)
    errors.raise_if_any()
    check_stage(Action.NOMINATION, selection.stage)
    check_eligible(cadre, qualification)
    check_rank(selection.category, selection.post_rank, cadre.rank)
    check_disclosure(parsed["disclosure"])
    check_relations(parsed["relations"], selection.proposed_by)
    check_basis(selection, cadre.code, parsed["basis"], session=session, campaign=campaign)
    return Nomination(cadre.code, parsed["basis"], parsed["disclosure"], parsed["relations"])
