"""The console's supervision pages: routine assessment, joint reviews, the superior's oversight and objections."""

from urllib.parse import quote

from gateway.web import forms, readable
from gateway.web.app import entry_result
from gateway.web.console import recent_records

# ---- org, superior: routine assessment ------------------------------------------------------------

RANKING = "/api/v1/assessments/<period>/ranking"


def assessments(page):
    """org records units' period scores; org and superior see the ranking, the bottom N flagged."""
    page.require("GET", RANKING)
    outcome = None
    if page.request.method == "POST":
        page.require("POST", "/api/v1/assessments")
        outcome = page.api(
            "POST",
            "/api/v1/assessments",
            idempotency_key=page.idempotency_key(),
            body={"period": page.form("period"), "unit": page.form("unit"), "score": forms.number(page.form("score"))},
        )
    period = (page.request.args.get("period") or page.form("period")).strip()
    bottom = (page.request.args.get("bottom") or page.form("bottom")).strip()
    ranking_ = None
    if period:
        ranking_ = page.api(
            "GET", RANKING.replace("<period>", quote(period, safe="")), query={"bottom": bottom or None}
        )
    status = 200
    if outcome is not None and not outcome.ok:
        status = outcome.status
    elif ranking_ is not None and not ranking_.ok and page.request.method == "GET":
        status = ranking_.status
    return page.render(
        "assessments.html",
        outcome=outcome,
        ranking=ranking_,
        period=period,
        bottom=bottom,
        can_record=page.can("POST", "/api/v1/assessments"),
        status=status,
    )


# ---- the review departments, org, superior: joint reviews ------------------------------------------


def reviews(page):
    page.require("GET", "/api/v1/reviews")
    outcome = None
    if page.request.method == "POST":
        page.require("POST", "/api/v1/reviews/<id>/verdicts")
        outcome = page.api(
            "POST",
            f"/api/v1/reviews/{page.form('review')}/verdicts",
            body={"verdict": page.form("verdict"), "reason": page.form("reason") or None},
            idempotency_key=page.idempotency_key(),
        )
    # the superior may list overdue reviews only (gateway/authz.py)
    status_filter = page.request.args.get("status", "overdue" if page.session.role == "superior" else "pending")
    answer = page.api(
        "GET",
        "/api/v1/reviews",
        query={
            "status": status_filter if status_filter != "all" else None,
            "selection": page.request.args.get("selection"),
            "limit": 200,
        },
    )
    return page.render(
        "reviews.html",
        answer=answer,
        names=_nominee_names(page, page.request.args.get("selection")) if answer.ok else {},
        outcome=outcome,
        status_filter=status_filter,
        can_verdict=page.can("POST", "/api/v1/reviews/<id>/verdicts"),
        status=outcome.status if outcome and not outcome.ok else 200,
    )


def _nominee_names(page, selection):
    """{cadre: name} of one selection's nominees, for a role that may read the selection (org): one call.
    Nothing for the departments, whose reviews name cadres by code only (API.md), or when it fails."""
    if not selection or not page.can("GET", "/api/v1/selections/<id>"):
        return {}
    detail = page.api("GET", f"/api/v1/selections/{quote(selection, safe='')}")
    return readable.names_of(detail.body.get("nominees")) if detail.ok else {}


# ---- superior: pre-reports, observers, overdue ----------------------------------------------------


def oversight(page):
    page.require("GET", "/api/v1/filings")
    outcome = None
    if page.request.method == "POST":
        action = page.form("action")
        if action == "approve":
            page.require("POST", "/api/v1/pre-reports/<id>/approve")
            outcome = page.api(
                "POST", f"/api/v1/pre-reports/{page.form('pre_report')}/approve", idempotency_key=page.idempotency_key()
            )
        elif action == "observer":
            page.require("POST", "/api/v1/selections/<id>/observer")
            outcome = page.api(
                "POST",
                f"/api/v1/selections/{page.form('selection')}/observer",
                body={"name": page.form("name")},
                idempotency_key=page.idempotency_key(),
            )
    pre_reports = {}
    if page.can("GET", "/api/v1/records"):
        entries, _ = recent_records(page)
        for entry in entries:
            if entry.get("matter") in ("pre report submitted", "pre report approved"):
                data = entry_result(entry)
                if data.get("pre_report"):
                    item = pre_reports.setdefault(
                        data["pre_report"],
                        {"id": data["pre_report"], "selection": data.get("selection"), "status": "submitted"},
                    )
                    if entry["matter"] == "pre report approved":
                        item["status"] = "approved"
    overdue_reviews = page.api("GET", "/api/v1/reviews", query={"status": "overdue", "limit": 200})
    overdue_filings = page.api("GET", "/api/v1/filings", query={"status": "overdue", "limit": 200})
    return page.render(
        "oversight.html",
        outcome=outcome,
        pre_reports=list(pre_reports.values()),
        overdue_reviews=overdue_reviews,
        overdue_filings=overdue_filings,
        can_approve=page.can("POST", "/api/v1/pre-reports/<id>/approve"),
        can_observe=page.can("POST", "/api/v1/selections/<id>/observer"),
        status=outcome.status if outcome and not outcome.ok else 200,
    )


# ---- org, discipline: objections ----------------------------------------------------------------


def objections(page):
    page.require("POST", "/api/v1/objections/<id>/resolve")
    outcome = None
    if page.request.method == "POST":
        outcome = page.api(
            "POST",
            f"/api/v1/objections/{page.form('objection')}/resolve",
            body={"upheld": page.form("upheld") == "yes", "finding": page.form("finding")},
            idempotency_key=page.idempotency_key(),
        )
    listed = page.api("GET", "/api/v1/notices", query={"limit": 30})
    board = []
    if listed.ok:
        for notice in listed.body["items"]:
            lodged = page.api("GET", f"/api/v1/notices/{notice['id']}/objections", query={"limit": 200})
            board.append((notice, lodged.body.get("items", []) if lodged.ok else []))
    return page.render(
        "objections.html", board=board, outcome=outcome, status=outcome.status if outcome and not outcome.ok else 200
    )
