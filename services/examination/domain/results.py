"""Scores, the written shortlist for interview, and the ranking of a campaign's results.

Every score shown is rounded to two decimals (half up) and the ranking uses
exactly the shown values, so anyone can check the published order by hand.
"""
from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal

from services.examination.sealing.sheets import SheetProblem

CENT = Decimal("0.01")
_CONFLICT = "the examiner gave this blind code different scores in different sheets"
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
    """``{blind_code: {examiner: score}}`` from one stage's opened sheets, and the conflicts found.

    Sheets from the same examiner may split a long list between them; the same
    score repeated counts once. Different scores for one candidate from one
    examiner are a conflict: that examiner's score for that candidate is left
    out and each sheet involved is reported (``conflicting_score``).
    """
    by_code, sources, conflicts = {}, {}, set()
    for sheet in opened_sheets:
        for code, score in sheet.scores.items():
            given = by_code.setdefault(code, {})
            key = (code, sheet.examiner)
            sources.setdefault(key, []).append(sheet.sheet)
            if key in conflicts:
                continue
            if sheet.examiner in given and _dec(given[sheet.examiner]) != _dec(score):
                conflicts.add(key)
                del given[sheet.examiner]
                continue
            given[sheet.examiner] = score
    problems = [
        SheetProblem(sheet_id, "conflicting_score", _CONFLICT, code)
        for code, examiner in sorted(conflicts)
        for sheet_id in sources[(code, examiner)]
    ]
    return {code: given for code, given in by_code.items() if given}, problems


def written_score(scores):
    """The written score from its graders' scores: their mean (one grader: that score)."""
    values = [_dec(s) for s in scores]
    return _cents(sum(values) / len(values))


def interview_score(scores):
    """The mean of the examiners' scores, dropping one highest and one lowest when five or more scored."""
    values = sorted(_dec(s) for s in scores)
    if len(values) >= DROP_EXTREMES_FROM:
        values = values[1:-1]
    return _cents(sum(values) / len(values))


def stage_scores(opened_sheets, stage):
    """``{blind_code: score}`` for ``stage`` ("written" or "interview"), and the conflicts found."""
    collected, problems = collect_scores(opened_sheets)
    combine = interview_score if stage == "interview" else written_score
    return {code: combine(given.values()) for code, given in collected.items()}, problems


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
