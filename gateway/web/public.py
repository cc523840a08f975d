"""The public pages: the notice board and objections, disclosures, results, the record check, and signing in."""

from itertools import product

from gateway.web import session as sessions
from gateway.web.app import entry_result
from services.common.errors import CadreError, Unauthorized


def home(page):
    return page.render("home.html")


# The record entries a public notice links to: only those of events that are public already (the notice
# itself, opened and closed). Review verdicts, objections' contents and everything else stay behind the
# record's own authorization.
PUBLIC_NOTICE_MATTERS = ("notice opened", "notice closed")


def notice_records(page, items):
    """For each notice, its ``notice opened`` entry and latest ``notice closed`` entry of the record.

    ``GET /api/v1/records`` is not public, so the gateway reads the selection's entries with a trusted
    internal call (not as the anonymous visitor) and hands out only the public events' entries.
    """
    found = {}
    wanted = {notice["id"] for notice in items}
    selections = sorted({s for s in (notice.get("subject") or "" for notice in items) if s.startswith("selection:")})
    for subject, matter in product(selections, PUBLIC_NOTICE_MATTERS):
        query = {"subject": subject, "matter": matter, "limit": 500}
        for _ in range(20):
            try:
                answer = page.pipeline.backend(
                    "records", "list_records", ("gateway-web", None, page.request_id), query=query
                )
            except CadreError:
                break  # the board still shows the notices; only the check links are missing
            for entry in answer["items"]:
                notice = entry_result(entry).get("notice")
                if notice not in wanted:
                    continue
                links = found.setdefault(notice, {})
                key = "opened" if matter == "notice opened" else "closed"
                if key == "opened" and "opened" in links:
                    continue
                links[key] = entry  # the latest ``notice closed`` (a new revision) wins
            if not answer.get("next_cursor"):
                break
            query["cursor"] = answer["next_cursor"]
    return found


def notices(page, outcome=None, status=200):
    status_filter = page.request.args.get("status") or None
    answer = page.api(
        "GET",
        "/api/v1/notices",
        query={"status": status_filter, "cursor": page.request.args.get("cursor"), "limit": 20},
    )
    records_ = notice_records(page, answer.body["items"]) if answer.ok else {}
    return page.render(
        "notices.html", status=status, answer=answer, outcome=outcome, status_filter=status_filter, records=records_
    )


def objection(page, id):
    content = page.request.form.get("content", "")
    answer = page.api(
        "POST", f"/api/v1/notices/{id}/objections", body={"content": content}, idempotency_key=page.idempotency_key()
    )
    outcome = {"answer": answer, "notice": id}
    return page.render("objection.html", status=200 if answer.ok else answer.status, outcome=outcome)


def disclosures(page):
    answer = page.api("GET", "/api/v1/disclosures", query={"cursor": page.request.args.get("cursor"), "limit": 20})
    return page.render("disclosures.html", answer=answer)


def results(page):
    """Published public-selection results: the disclosure feed's ``results`` items."""
    found, cursor, error = [], None, None
    for _ in range(10):
        answer = page.api("GET", "/api/v1/disclosures", query={"cursor": cursor, "limit": 500})
        if not answer.ok:
            error = answer
            break
        found += [item for item in answer.body["items"] if item.get("kind") == "results"]
        cursor = answer.body.get("next_cursor")
        if not cursor:
            break
    return page.render("results.html", items=found, error=error)


def check(page):
    seq = page.request.args.get("seq", "")
    return page.render("check.html", seq=seq if seq.isdigit() else "")


# ---- signing in ---------------------------------------------------------------------------------


def login(page):
    problem = None
    if page.request.method == "POST":
        token = page.form("token")
        try:
            # read afresh: a session must not start from a cached token that was just revoked or rotated
            name, role = page.pipeline.auth.principal(f"Bearer {token}", fresh=True)
        except Unauthorized as error:
            problem = error.problem()
        else:
            if page.session is not None:
                sessions.close_session(page.request)
            sid = sessions.open_session(name, role)
            response = page.redirect(_safe_next(page.form("next")))
            sessions.set_cookie(response, sessions.SESSION_COOKIE, sid, page.request)
            response.delete_cookie(sessions.VISITOR_COOKIE, path="/")
            return response
    return page.render(
        "login.html",
        status=401 if problem else 200,
        problem=problem,
        next=_safe_next(page.request.args.get("next") or page.form("next")),
    )


def _safe_next(value):
    return value if value and value.startswith("/web/") and not value.startswith("//") else "/web/console"


def logout(page):
    sessions.close_session(page.request)
    response = page.redirect("/")
    response.delete_cookie(sessions.SESSION_COOKIE, path="/")
    return response
