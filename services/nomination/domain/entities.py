"""Units, posts and cadres as values: validation of their fields and of CSV imports."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Mapping

from services.common import csvrows
from services.common.errors import Invalid

from ._checks import FieldErrors, is_code, is_int, is_number, is_text
from .headcount import free_vacancies
from .vocabulary import CATEGORIES, MODE_BY_CATEGORY, RANKS, rank_level

MAX_GRASSROOTS_YEARS = 60
MAX_HEADCOUNT = 1000
MAX_IMPORT_ROWS = 10_000
UNIT_FIELDS = ("code", "name")
POST_FIELDS = ("code", "unit", "title", "rank", "category", "headcount")
CADRE_FIELDS = ("code", "name", "unit", "rank", "grassroots_years")


@dataclass(frozen=True)
class Unit:
    code: str
    name: str


@dataclass(frozen=True)
class Post:
    """A post (岗位) with its headcount (职数) and rank (职级)."""

    code: str
    unit: str
    title: str
    rank: str
    category: str
    headcount: int
    occupied: int = 0
    reserved: int = 0

    @property
    def mode(self) -> str:
        return MODE_BY_CATEGORY[self.category]

    @property
    def vacancies(self) -> int:
        return free_vacancies(self.headcount, self.occupied, self.reserved)


@dataclass(frozen=True)
class Cadre:
    """A cadre (干部); ``grassroots_years`` counts years served at the grassroots front line."""

    code: str
    name: str
    unit: str
    rank: str
    grassroots_years: float

    @property
    def level(self) -> int:
        return rank_level(self.rank)


def _unknown_fields(data: Mapping, allowed, errors: FieldErrors) -> None:
    for name in data:
        if name not in allowed:
            errors.add(str(name), "unknown field")


def _text(data, field, errors, *, code=False):
    value = data.get(field)
    if code and not is_code(value):
        errors.add(field, "must be 1-64 letters, digits, '-' or '_'")
    elif not code and not (is_text(value) and len(value) <= 200):
        errors.add(field, "must be non-empty text of at most 200 characters")
    return value


def validate_unit(data: Mapping) -> Unit:
    """400 naming every bad field of ``{code, name}``."""
    errors = FieldErrors()
    _unknown_fields(data, UNIT_FIELDS, errors)
    code = _text(data, "code", errors, code=True)
    name = _text(data, "name", errors)
    errors.raise_if_any()
    return Unit(code, name.strip())


def validate_post(data: Mapping) -> Post:
    """400 naming every bad field of ``{code, unit, title, rank, category, headcount}``."""
    errors = FieldErrors()
    _unknown_fields(data, POST_FIELDS, errors)
    code = _text(data, "code", errors, code=True)
    unit = _text(data, "unit", errors, code=True)
    title = _text(data, "title", errors)
    rank, category, headcount = data.get("rank"), data.get("category"), data.get("headcount")
    if rank not in RANKS:
        errors.add("rank", f"must be one of {', '.join(RANKS)}")
    if category not in CATEGORIES:
        errors.add("category", f"must be one of {', '.join(CATEGORIES)}")
    if not (is_int(headcount) and 1 <= headcount <= MAX_HEADCOUNT):
        errors.add("headcount", f"must be a whole number from 1 to {MAX_HEADCOUNT}")
    errors.raise_if_any()
    return Post(code, unit, title.strip(), rank, category, headcount)


def validate_cadre(data: Mapping) -> Cadre:
    """400 naming every bad field of ``{code, name, unit, rank, grassroots_years}``."""
    errors = FieldErrors()
    _unknown_fields(data, CADRE_FIELDS, errors)
    code = _text(data, "code", errors, code=True)
    name = _text(data, "name", errors)
    unit = _text(data, "unit", errors, code=True)
    rank, years = data.get("rank"), data.get("grassroots_years")
    if rank not in RANKS:
        errors.add("rank", f"must be one of {', '.join(RANKS)}")
    if not (is_number(years) and 0 <= years <= MAX_GRASSROOTS_YEARS):
        errors.add("grassroots_years", f"must be a number from 0 to {MAX_GRASSROOTS_YEARS}")
    errors.raise_if_any()
    return Cadre(code, name.strip(), unit, rank, years)


def _number_from_text(value: str):
    """CSV cells are text; a number that does not parse is left as text so validation names it
    (and so is one in other than ASCII digits, which ``int`` would read: ``١`` is not 1 here)."""
    if not value.isascii():
        return value
    try:
        return int(value)
    except ValueError:
        try:
            return float(value)
        except ValueError:
            return value


@dataclass(frozen=True)
class ImportResult:
    """Rows kept (validated values) and rejected as ``{row, errors}``; row 1 follows the header."""

    good: list
    rejected: list
    # the row number of each item of ``good``, so a row the database refuses can be reported too
    rows: list = field(default_factory=list)

    def summary(self) -> dict:
        return {"imported": len(self.good), "rejected": self.rejected}


def import_csv(
    text: str, validate: Callable[[Mapping], object], fields: tuple, numeric_fields: tuple = ()
) -> ImportResult:
    """Validate each row of a CSV body; good rows are kept, bad ones reported.

    400 only when the body as a whole is unusable (no header, missing columns,
    too many rows). A code seen twice in the same file rejects the later row.
    """
    table = csvrows.read(text)
    header = table.header
    if not any(header):
        raise Invalid({"body": ["a CSV header row is required"]})
    if set(header) != set(fields) or len(header) != len(fields):
        raise Invalid({"body": [f"the header must name exactly: {', '.join(fields)}"]})
    good, rejected, seen, rows = [], [], set(), []
    number = 0
    for record in table.records:
        if record.blank:
            continue  # a blank line is no row (as csv.DictReader counts them)
        number += 1
        if number > MAX_IMPORT_ROWS:
            raise Invalid({"body": [f"at most {MAX_IMPORT_ROWS} rows per import"]})
        if record.cells is None:
            rejected.append({"row": number, "errors": {"row": [record.error]}})
            continue
        if len(record.cells) > len(header):
            rejected.append({"row": number, "errors": {"row": ["more cells than the header"]}})
            continue
        row = dict(zip(header, record.cells + [None] * (len(header) - len(record.cells))))
        values = {k: (v.strip() if isinstance(v, str) else v) for k, v in row.items()}
        for name in numeric_fields:
            if isinstance(values.get(name), str):
                values[name] = _number_from_text(values[name])
        try:
            item = validate(values)
        except Invalid as exc:
            rejected.append({"row": number, "errors": exc.errors})
            continue
        code = getattr(item, "code", None)
        if code in seen:
            rejected.append({"row": number, "errors": {"code": ["appears earlier in this file"]}})
            continue
        seen.add(code)
        good.append(item)
        rows.append(number)
    return ImportResult(good, rejected, rows)


def import_posts(text: str) -> ImportResult:
    return import_csv(text, validate_post, POST_FIELDS, numeric_fields=("headcount",))


def import_cadres(text: str) -> ImportResult:
    return import_csv(text, validate_cadre, CADRE_FIELDS, numeric_fields=("grassroots_years",))
