"""Applications to a campaign: applicant checks, the CSV import, and eligibility (资格审查).

No message here ever repeats an ID number or a name: they are personal data.
"""

import hashlib
import hmac
import re
from dataclasses import dataclass
from datetime import date

from services.common import csvrows
from services.common.errors import Invalid

CSV_FIELDS = ("post", "id_number", "name", "birth_date", "education")
MAX_TEXT = 100

# GB 11643-1999: weights of the first 17 digits, and the check character for sum mod 11.
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"
_ID_SHAPE = re.compile(r"[1-9][0-9]{16}[0-9X]")
_DATE_SHAPE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


@dataclass(frozen=True)
class Applicant:
    post: str
    id_number: str  # upper-case check character
    name: str
    birth_date: str  # YYYY-MM-DD
    education: str


def normalize_id_number(value):
    return value.strip().upper() if isinstance(value, str) else value


def id_number_digest(key, id_number):
    """Keyed hash (HMAC-SHA256, hex) of a normalized ID number: what the service stores instead of it.

    Enough to refuse a second application by the same person; without ``key`` it cannot be reversed
    by trying the (few) possible ID numbers, as a plain hash could.
    """
    return hmac.new(key, normalize_id_number(id_number).encode("utf-8"), hashlib.sha256).hexdigest()


def id_number_problem(value):
    """Why ``value`` is not a valid resident ID number (GB 11643), or ``None`` when it is."""
    value = normalize_id_number(value)
    if not isinstance(value, str) or not _ID_SHAPE.fullmatch(value):
        return "must be 18 characters: 17 digits and a check digit or X"
    if _date_from_digits(value[6:14]) is None:
        return "does not contain a valid birth date"
    total = sum(int(d) * w for d, w in zip(value[:17], _ID_WEIGHTS))
    if _ID_CHECK[total % 11] != value[17]:
        return "has a wrong check digit"
    return None


def _date_from_digits(text):
    try:
        return date(int(text[0:4]), int(text[4:6]), int(text[6:8]))
    except ValueError:
        return None


def _date_from_iso(text):
    if not isinstance(text, str) or not _DATE_SHAPE.fullmatch(text):
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def check_applicant(post, applicant, posts, today=None, prefix=""):
    """Validate one application; return an ``Applicant`` or a ``{field: [messages]}`` dict of errors.

    ``posts``: the campaign's post codes. ``birth_date`` is ``YYYY-MM-DD`` and
    must be the date inside the ID number; with ``today`` it may not be later.
    ``prefix`` is put before the applicant's field names (``"applicant."`` for the JSON body).
    """
    errors = {}
    applicant = applicant if isinstance(applicant, dict) else {}
    if post not in posts:
        errors["post"] = ["is not a post of this campaign"]
    id_number = normalize_id_number(applicant.get("id_number"))
    problem = id_number_problem(id_number)
    if problem:
        errors[prefix + "id_number"] = [problem]
    name = _text(applicant.get("name"))
    if not name:
        errors[prefix + "name"] = [f"must be 1 to {MAX_TEXT} characters"]
    education = _text(applicant.get("education"))
    if not education:
        errors[prefix + "education"] = [f"must be 1 to {MAX_TEXT} characters"]
    birth_text = applicant.get("birth_date")
    birth_text = birth_text.strip() if isinstance(birth_text, str) else None
    birth = _date_from_iso(birth_text)
    if birth is None:
        errors[prefix + "birth_date"] = ["must be a date YYYY-MM-DD"]
    elif today is not None and birth > today:
        errors[prefix + "birth_date"] = ["is in the future"]
    elif not problem and birth.strftime("%Y%m%d") != id_number[6:14]:
        errors[prefix + "birth_date"] = ["does not match the birth date in the ID number"]
    if errors:
        return errors
    return Applicant(post, id_number, name, birth_text, education)


def _text(value):
    if not isinstance(value, str):
        return None
    value = value.strip()
    return value if 0 < len(value) <= MAX_TEXT else None


def validate_application(post, applicant, posts, today=None):
    """One application from ``POST /campaigns/{code}/applications``: an ``Applicant``, or 400 naming each field.

    An ID number already registered in this campaign is for the caller to
    answer 409 ``exists`` (compare ``Applicant.id_number``, normalized here).
    """
    result = check_applicant(post, applicant, posts, today, prefix="applicant.")
    if isinstance(result, dict):
        raise Invalid(result)
    return result


@dataclass(frozen=True)
class ImportResult:
    applicants: list  # [(row, Applicant)] to store, in file order
    rejected: list  # [{"row", "errors": {field: [messages]}}], API.md's ``rejected``


def parse_applications_csv(text, posts, registered_id_numbers=(), today=None):
    """Parse the ``text/csv`` body of ``applications/import``; good rows are kept, bad ones reported.

    Rows are numbered as in a spreadsheet: the header is row 1, the first
    applicant row 2 (blank lines are skipped but keep their number). Columns may
    come in any order; unknown columns are ignored; a header that lacks a field
    is a 400 for the whole body. An ID number already registered in the
    campaign, or repeated in the file, rejects the later row.
    """
    table = csvrows.read(text, "csv")
    columns = table.header
    missing = [f for f in CSV_FIELDS if f not in columns]
    if missing or len(set(columns)) != len(columns):
        raise Invalid({"csv": ["the header must name each of " + ",".join(CSV_FIELDS) + " once"]})
    position = {f: columns.index(f) for f in CSV_FIELDS}
    seen = {}  # ID number -> row that claimed it first
    applicants, rejected = [], []
    for read in table.records:
        row, record = read.number + 1, read.cells  # the header is row 1
        if record is None:
            rejected.append({"row": row, "errors": {"csv": [read.error]}})
            continue
        if not record or all(not cell.strip() for cell in record):
            continue
        if len(record) != len(columns):
            rejected.append({"row": row, "errors": {"csv": [f"expected {len(columns)} fields, got {len(record)}"]}})
            continue
        values = {f: record[i] for f, i in position.items()}
        result = check_applicant(values["post"].strip(), values, posts, today)
        if isinstance(result, dict):
            rejected.append({"row": row, "errors": result})
            continue
        if result.id_number in registered_id_numbers:
            rejected.append({"row": row, "errors": {"id_number": ["has already applied in this campaign"]}})
            continue
        if result.id_number in seen:
            rejected.append({"row": row, "errors": {"id_number": [f"repeats the one in row {seen[result.id_number]}"]}})
            continue
        seen[result.id_number] = row
        applicants.append((row, result))
    return ImportResult(applicants, rejected)


def decide_eligibility(eligible, reason):
    """The new eligibility from ``{eligible, reason}``: a reason is required to find someone ineligible."""
    errors = {}
    if not isinstance(eligible, bool):
        errors["eligible"] = ["must be true or false"]
    if reason is not None and not isinstance(reason, str):
        errors["reason"] = ["must be text"]
    elif eligible is False and not (reason or "").strip():
        errors["reason"] = ["is required when the applicant is found ineligible"]
    if errors:
        raise Invalid(errors)
    return "eligible" if eligible else "ineligible"


ELIGIBILITY_FIELDS = ("exam_number", "eligible", "reason")
MAX_REASON = 500
_BOOLEANS = {"true": True, "false": False}


@dataclass(frozen=True)
class EligibilityDecision:
    row: int
    exam_number: str
    eligibility: str  # eligible | ineligible
    reason: str


@dataclass(frozen=True)
class EligibilityImport:
    decisions: list  # [EligibilityDecision] to apply, in file order
    rejected: list  # [{"row", "errors": {field: [messages]}}], API.md's ``rejected``


def parse_eligibility_csv(text, exam_numbers):
    """Parse the ``text/csv`` body of ``eligibility/import``; good rows are decisions, bad ones reported.

    Header ``exam_number,eligible,reason`` (any order, each once, other columns ignored; else 400 for the
    whole body). ``eligible`` is ``true`` or ``false`` (case is ignored: spreadsheets write ``TRUE``);
    ``reason`` is required for ``false`` and at most 500 characters. ``exam_numbers``: those of the
    campaign. Rows are numbered as in a spreadsheet (header row 1); an exam number repeated in the file
    rejects the later row, so one file never decides one applicant twice.
    """
    table = csvrows.read(text, "csv")
    columns = table.header
    if any(f not in columns for f in ELIGIBILITY_FIELDS) or len(set(columns)) != len(columns):
        raise Invalid({"csv": ["the header must name each of " + ",".join(ELIGIBILITY_FIELDS) + " once"]})
    position = {f: columns.index(f) for f in ELIGIBILITY_FIELDS}
    seen, decisions, rejected = {}, [], []
    for read in table.records:
        row, record = read.number + 1, read.cells  # the header is row 1
        if record is None:
            rejected.append({"row": row, "errors": {"csv": [read.error]}})
            continue
        if read.blank:
            continue
        if len(record) != len(columns):
            rejected.append({"row": row, "errors": {"csv": [f"expected {len(columns)} fields, got {len(record)}"]}})
            continue
        number, flag, reason = (record[position[f]].strip() for f in ELIGIBILITY_FIELDS)
        errors = {}
        if number not in exam_numbers:
            errors["exam_number"] = ["is not an exam number of this campaign"]
        elif number in seen:
            errors["exam_number"] = [f"repeats the one in row {seen[number]}"]
        eligible = _BOOLEANS.get(flag.lower())
        if eligible is None:
            errors["eligible"] = ["must be true or false"]
        if len(reason) > MAX_REASON:
            errors["reason"] = [f"must be at most {MAX_REASON} characters"]
        elif eligible is False and not reason:
            errors["reason"] = ["is required when the applicant is found ineligible"]
        if errors:
            rejected.append({"row": row, "errors": errors})
            continue
        seen[number] = row
        decisions.append(EligibilityDecision(row, number, "eligible" if eligible else "ineligible", reason))
    return EligibilityImport(decisions, rejected)
