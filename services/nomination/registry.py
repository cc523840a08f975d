"""Units, posts and cadres: their creation with its event, the CSV imports, the checks that codes name known ones,
their values for the rules and the post's view."""

from services.common import outbox
from services.common.errors import Conflict, Invalid, NotFound
from services.common.facts import Remembered
from services.nomination import contract
from services.nomination.domain import entities
from services.nomination.models import Cadre, Post, Unit

# --- creating ------------------------------------------------------------------------------------


def create_unit(body, caller):
    unit = Unit(**body)
    outbox.insert(
        unit,
        caller.envelope("unit.created", f"unit:{unit.code}", contract.UnitCreated().dump(body)),
        exists_detail=f"unit {unit.code!r} already exists",
    )
    _UNITS.learn({unit.code: True})
    return contract.UnitOut().dump(unit)


def create_post(body, caller):
    require_unit(body["unit"])
    return post_view(_insert_post(body, caller))


def create_cadre(body, caller):
    require_unit(body["unit"])
    return contract.CadreOut().dump(_insert_cadre(body, caller))


def _insert_post(body, caller):
    post = Post(**body, free=body["headcount"])
    outbox.insert(
        post,
        caller.envelope("post.created", f"post:{post.code}", contract.PostCreated().dump(body)),
        exists_detail=f"post {post.code!r} already exists",
    )
    return post


def _insert_cadre(body, caller):
    cadre = Cadre(**body)
    outbox.insert(
        cadre,
        caller.envelope("cadre.created", f"cadre:{cadre.code}", contract.CadreCreated().dump(body)),
        exists_detail=f"cadre {cadre.code!r} already exists",
    )
    return cadre


# --- CSV imports ---------------------------------------------------------------------------------


def import_posts(text, caller):
    return _import(text, entities.import_posts, contract.PostIn, lambda values: _insert_post(values, caller))


def import_cadres(text, caller):
    return _import(text, entities.import_cadres, contract.CadreIn, lambda values: _insert_cadre(values, caller))


def _import(text, parse, schema, insert):
    """``{imported, rejected: [{row, errors}]}``: every good row whose unit is known is created, the
    others are named with why, in row order."""
    if not isinstance(text, str):
        raise Invalid({"body": ["a text/csv body is required"]})
    parsed = parse(text)
    rejected = list(parsed.rejected)
    units = known_units({item.unit for item in parsed.good})
    imported = 0
    for row, item in zip(parsed.rows, parsed.good):
        values = {name: getattr(item, name) for name in schema().fields}
        if isinstance(values.get("grassroots_years"), float):
            if not values["grassroots_years"].is_integer():
                rejected.append({"row": row, "errors": {"grassroots_years": ["must be a whole number"]}})
                continue
            values["grassroots_years"] = int(values["grassroots_years"])
        if item.unit not in units:
            rejected.append({"row": row, "errors": {"unit": ["unknown unit"]}})
            continue
        try:
            insert(values)
        except Conflict:
            rejected.append({"row": row, "errors": {"code": ["already exists"]}})
            continue
        imported += 1
    rejected.sort(key=lambda item: item["row"])
    return {"imported": imported, "rejected": rejected}


# --- known codes ---------------------------------------------------------------------------------


# A unit is never changed nor removed (API.md has no route that would): a code found once stays found, so a
# selection step's scope, a post's or a cadre's unit cost no read once this process knows them.
_UNITS = Remembered()


def known_units(codes):
    """The codes among ``codes`` that name units of the registry."""
    return set(_UNITS.among(codes, lambda unknown: {u.code: True for u in Unit.objects(code__in=unknown).only("code")}))


def load_post(code):
    post = Post.objects(code=code).first()
    if post is None:
        raise NotFound(f"no post {code!r}")
    return post


LOCAL_UNITS_ASKED_AT_MOST = 1000


def local_units(codes):
    """The codes among ``codes`` of units in the registry (as of this read). Refused, not cut short, beyond
    ``LOCAL_UNITS_ASKED_AT_MOST``: a code left unchecked would count as outside the district."""
    if not isinstance(codes, list) or not all(isinstance(c, str) for c in codes):
        raise Invalid({"codes": ["a list of unit codes"]})
    if len(codes) > LOCAL_UNITS_ASKED_AT_MOST:
        raise Invalid({"codes": [f"at most {LOCAL_UNITS_ASKED_AT_MOST} codes"]})
    return sorted(known_units(codes))


def require_unit(code, field="unit"):
    if not known_units([code]):
        raise Invalid({field: [f"unknown unit {code!r}"]})


def require_units(codes, field):
    """400 naming the positions of the unknown units among ``codes``."""
    known = known_units(codes)
    unknown = [i for i, code in enumerate(codes) if code not in known]
    if unknown:
        raise Invalid({field: [f"item {i} is not a known unit" for i in unknown]})


def require_cadre(code, field="cadre"):
    doc = Cadre.objects(code=code).first()
    if doc is None:
        raise Invalid({field: ["unknown cadre"]})
    return doc


def require_cadres(codes, field):
    """The cadre documents for ``codes`` in order; 400 naming the positions of unknown ones."""
    found = {c.code: c for c in Cadre.objects(code__in=list(codes))}
    missing = [i for i, code in enumerate(codes) if code not in found]
    if missing:
        raise Invalid({field: [f"item {i} is not a known cadre" for i in missing]})
    return [found[code] for code in codes]


# --- values and views ----------------------------------------------------------------------------


def post_value(doc) -> entities.Post:
    return entities.Post(
        doc.code, doc.unit, doc.title, doc.rank, doc.category, doc.headcount, doc.occupied, doc.reserved
    )


def cadre_value(doc) -> entities.Cadre:
    return entities.Cadre(doc.code, doc.name, doc.unit, doc.rank, doc.grassroots_years)


def post_view(post):
    return {
        "code": post.code,
        "unit": post.unit,
        "title": post.title,
        "rank": post.rank,
        "category": post.category,
        "headcount": post.headcount,
        "occupied": post.occupied,
        "reserved": post.reserved,
        "vacancies": post.headcount - post.occupied - post.reserved,
    }
