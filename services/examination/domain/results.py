"""Scores, the written shortlist for interview, and the ranking of a campaign's results.

Every score shown is rounded to two decimals (half up) and the ranking uses
exactly the shown values, so anyone can check the published order by hand.
"""

from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal

from services.examination.sealing.sheets import SheetProblem, vendor_of

CENT = Decimal("0.01")
_DUPLICATE = "the examiner scored this blind code in more than one sheet"
DROP_EXTREMES_FROM = 5  # examiners; from this many on, one highest and one lowest are dropped


@dataclass(frozen=True)
class Candidate:
    """An eligible applicant as the ranking sees them."""

    exam_number: str
    name: str
    post: str
    blind_code: str


def _dec(value):
    return value if isinstance(value, Decimal) else Decimal(str(value))


def _cents(value):
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def collect_scores(opened_sheets):
    """``{blind_code: {examiner: score}}`` from one stage's opened sheets, and the duplicates found.

    Sheets from the same examiner may split a long list between them, but each
    blind code is scored once per examiner: a code that two of one examiner's
    sheets score (even alike) counts for nothing from that examiner, and each
    sheet involved is reported (``duplicate_blind_code``). Otherwise a second
    sheet could quietly replace or confirm a first one.
    """
    by_code, sources = {}, {}
    for sheet in opened_sheets:
        for code, score in sheet.scores.items():
            sources.setdefault((code, sheet.examiner), []).append(sheet.sheet)
            by_code.setdefault(code, {})[sheet.examiner] = score
    duplicated = sorted(key for key, sheets in sources.items() if len(sheets) > 1)
    for code, examiner in duplicated:
        del by_code[code][examiner]
    problems = [
        SheetProblem(sheet_id, "duplicate_blind_code", _DUPLICATE, code)
        for code, examiner in duplicated
        for sheet_id in sources[(code, examiner)]
    ]
    return {code: given for code, given in by_code.items() if given}, problems


def written_score(scores):
    """The mean of ``scores`` (one score: that score), rounded to cents."""
    values = [_dec(s) for s in scores]
    return _cents(sum(values) / len(values))


def written_by_vendor(given):
    """The written score from ``{examiner: score}``: each vendor's graders (``V``, ``V/g1``, ``V/g2``…) are
    first averaged into that vendor's one score, then the vendors' scores are averaged.

    So a vendor that names more graders gains no weight over another vendor: inventing graders
    only changes how its own single score is made up.
    """
    per_vendor = {}
    for examiner, score in given.items():
        per_vendor.setdefault(vendor_of(examiner), []).append(_dec(score))
    means = [sum(values) / len(values) for values in per_vendor.values()]
    return _cents(sum(means) / len(means))


def interview_score(scores):
    """The mean of the examiners' scores, dropping one highest and one lowest when five or more scored."""
    values = sorted(_dec(s) for s in scores)
    if len(values) >= DROP_EXTREMES_FROM:
        values = values[1:-1]
    return _cents(sum(values) / len(values))


def stage_scores(opened_sheets, stage):
    """``{blind_code: score}`` for ``stage`` ("written" or "interview"), and the duplicates found.

    Interview examiners are vendors (each sheet names exactly its vendor), so each counts once.
    """
    collected, problems = collect_scores(opened_sheets)
    if stage == "interview":
        return {code: interview_score(given.values()) for code, given in collected.items()}, problems
    return {code: written_by_vendor(given) for code, given in collected.items()}, problems


def total_score(written, interview, weights):
    """``weights.written × written + weights.interview × interview``, rounded to cents."""
    return _cents(_dec(weights["written"]) * _dec(written) + _dec(weights["interview"]) * _dec(interview))


def shortlist_size(seats, interview_ratio):
    """``interview_ratio × seats`` rounded up: a ratio of 1.5 for 3 seats shortlists 5."""
    return int((_dec(interview_ratio) * seats).to_integral_value(rounding=ROUND_CEILING))


def _by_written(candidate, written):
    score = written.get(candidate.blind_code)
    return (score is None, -(score or 0), candidate.exam_number)


def shortlist(candidates, written, seats_by_post, interview_ratio):
    """Blind codes shortlisted for interview: per post, the top ``interview_ratio × seats`` by written score.

    Only candidates with a written score can be shortlisted. The cut is exact:
    a tie at the cut is broken like any tie, by exam number.
    """
    scored = {post: [] for post in seats_by_post}
    for c in candidates:
        if c.post in scored and c.blind_code in written:
            scored[c.post].append(c)
    chosen = set()
    for post, seats in seats_by_post.items():
        ranked = sorted(scored[post], key=lambda c: _by_written(c, written))
        chosen.update(c.blind_code for c in ranked[: shortlist_size(seats, interview_ratio)])
    return chosen


def rank_results(posts, candidates, written, interview, weights, interview_ratio, interview_unsealed):
    """The body of ``GET /campaigns/{code}/results``.

    ``posts``: ``[{"code", "seats"}]`` in campaign order; ``written`` and
    ``interview``: ``{blind_code: score}`` from ``stage_scores``.

    Before the interview unseal, ``interview`` and ``total`` are null, the
    ranking is by written score, the shortlisted are ``shortlisted`` and the
    rest ``not_selected``. After it, the shortlisted who were interviewed are
    ranked by total, then written score, then exam number; the first ``seats``
    of them are ``selected``; everyone else (not shortlisted, or shortlisted
    but without an interview score) follows by written score and is
    ``not_selected``. Interview scores of candidates not shortlisted are ignored.
    """
    seats_by_post = {p["code"]: p["seats"] for p in posts}
    short = shortlist(candidates, written, seats_by_post, interview_ratio)
    by_post = {code: [] for code in seats_by_post}
    for candidate in candidates:
        if candidate.post in by_post:
            by_post[candidate.post].append(candidate)
    body = []
    for post in posts:
        rows = []
        for c in by_post[post["code"]]:
            w = written.get(c.blind_code)
            i = interview.get(c.blind_code) if interview_unsealed and c.blind_code in short else None
            t = total_score(w, i, weights) if i is not None and w is not None else None
            rows.append((c, w, i, t))
        rows.sort(key=lambda r: (r[3] is None, -(r[3] or 0), r[1] is None, -(r[1] or 0), r[0].exam_number))
        ranking = []
        for rank, (c, w, i, t) in enumerate(rows, start=1):
            if not interview_unsealed:
                status = "shortlisted" if c.blind_code in short else "not_selected"
            else:
                status = "selected" if t is not None and rank <= post["seats"] else "not_selected"
            ranking.append(
                {
                    "exam_number": c.exam_number,
                    "name": c.name,
                    "written": _number(w),
                    "interview": _number(i),
                    "total": _number(t),
                    "rank": rank,
                    "status": status,
                }
            )
        body.append({"post": post["code"], "seats": post["seats"], "ranking": ranking})
    return {"posts": body}


def _number(value):
    return None if value is None else float(value)


def notice(posts):
    """What the results notice publishes of a ranking: per post, each candidate's rank, status and total."""
    return [
        {
            "post": p["post"],
            "seats": p["seats"],
            "ranking": [
                {k: row[k] for k in ("exam_number", "name", "rank", "status", "total")} for row in p["ranking"]
            ],
        }
        for p in posts
    ]
