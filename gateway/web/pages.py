"""The pages: the public notice board, disclosures, results and record check, and the department console.

Every handler reads and acts through ``Page.api`` — the gateway's own API dispatch — so what a role
sees and may do is exactly what its token may do through the API (gateway/authz.py).
"""
import json
import time
from itertools import product
from urllib.parse import quote

from werkzeug.exceptions import MethodNotAllowed, NotFound as PageNotFound
from werkzeug.routing import Map, Rule

from gateway.web import ballot_pages, forms
from gateway.web import session as sessions
from gateway.web.app import Page, static_file
from services.common import metrics as chassis_metrics
from services.common.errors import CadreError, Unauthorized

SEL = "/api/v1/selections/<id>"
SELECTION_ACTIONS = {  # form action → the API endpoint it sends
    "qualification": "/api/v1/selections/<id>/qualification",
    "consultation": "/api/v1/selections/<id>/consultations",
    "ballot-session": "/api/v1/selections/<id>/ballot-sessions",
    "nomination": "/api/v1/selections/<id>/nominations",
    "deliberation": "/api/v1/selections/<id>/deliberation",
    "inspection": "/api/v1/selections/<id>/inspection",
    "appointment": "/api/v1/selections/<id>/appointment",
    "filing": "/api/v1/selections/<id>/filing",
    "pre-report": "/api/v1/selections/<id>/pre-report",
}
# The next allowed actions of each stage (API.md's stage table).
NEXT_ACTIONS = {
    "motion": ["qualification"],
    "qualification": ["consultation"],
    "consultation": ["consultation"],
    "recommendation": ["ballot-session", "nomination", "deliberation"],
    "inspection": ["inspection"],
    "joint_review": [],
    "public_notice": ["appointment"],
    "appointment": ["appointment"],
    "filing": ["filing"],
    "closed": [],
}
BEFORE_DECISION = ("motion", "qualification", "consultation", "recommendation", "inspection", "joint_review")

# The console's menu: (label msgid, url, the endpoint whose authorization decides who sees it).
def N_(message):
    return message


MENU = [
    (N_("Selections"), "/web/console/selections", ("GET", SEL)),
    (N_("Units, posts and cadres"), "/web/console/registry", ("POST", "/api/v1/units")),
    (N_("Public selection campaigns"), "/web/console/campaigns", ("POST", "/api/v1/campaigns")),
    (N_("Routine assessment"), "/web/console/assessments", ("GET", "/api/v1/assessments/<period>/ranking")),
    (N_("Joint reviews"), "/web/console/reviews", ("GET", "/api/v1/reviews")),
    (N_("Decisions"), "/web/console/decisions", ("POST", "/api/v1/selections/<id>/decision")),
    (N_("Oversight"), "/web/console/oversight", ("GET", "/api/v1/filings")),
    (N_("Objections"), "/web/console/objections", ("POST", "/api/v1/objections/<id>/resolve")),
    (N_("Unseal"), "/web/console/unseal", ("POST", "/api/v1/campaigns/<code>/unseal")),
    (N_("The record"), "/web/console/records", ("GET", "/api/v1/records")),
    (N_("Dossiers"), "/web/console/dossier", ("GET", "/api/v1/selections/<id>/dossier")),
]

PAGES = Map([
    Rule("/", endpoint="home"),
    Rule("/web/", endpoint="home"),
    Rule("/web/static/<path:name>", endpoint="static"),
    Rule("/web/notices", endpoint="notices"),
    Rule("/web/notices/<id>/objection", endpoint="objection", methods=["POST"]),
    Rule("/web/disclosures", endpoint="disclosures"),
    Rule("/web/results", endpoint="results"),
    Rule("/web/check", endpoint="check"),
    Rule("/web/ballot", endpoint="ballot", methods=["GET", "POST"]),
    Rule("/web/ballot/check", endpoint="ballot_check"),
    Rule("/web/login", endpoint="login", methods=["GET", "POST"]),
    Rule("/web/logout", endpoint="logout", methods=["POST"]),
    Rule("/web/console", endpoint="console"),
    Rule("/web/console/selections", endpoint="selections", methods=["GET", "POST"]),
    Rule("/web/console/selections/<id>", endpoint="selection"),
    Rule("/web/console/selections/<id>/ranking", endpoint="ranking"),
    Rule("/web/console/selections/<id>/<action>", endpoint="selection_action", methods=["POST"]),
    Rule("/web/console/registry", endpoint="registry", methods=["GET", "POST"]),
    Rule("/web/console/campaigns", endpoint="campaigns", methods=["GET", "POST"]),
    Rule("/web/console/campaigns/<code>", endpoint="campaign", methods=["GET", "POST"]),
    Rule("/web/console/assessments", endpoint="assessments", methods=["GET", "POST"]),
    Rule("/web/console/reviews", endpoint="reviews", methods=["GET", "POST"]),
    Rule("/web/console/decisions", endpoint="decisions", methods=["GET", "POST"]),
    Rule("/web/console/oversight", endpoint="oversight", methods=["GET", "POST"]),
    Rule("/web/console/objections", endpoint="objections", methods=["GET", "POST"]),
    Rule("/web/console/unseal", endpoint="unseal", methods=["GET", "POST"]),
    Rule("/web/console/records", endpoint="records"),
    Rule("/web/console/dossier", endpoint="dossier"),
    Rule("/web/console/ballot-board", endpoint="console_ballot_board"),
], strict_slashes=False)


class Refused(Exception):
    """A console page the session's role may not see."""


def serve(service, request):
    """Entry point from the gateway's @http hook; every page request is counted in the gateway's HTTP
    metrics under ``web:<page>`` (the page's name, never an id from its path)."""
    started = time.perf_counter()
    endpoint = "web:unmatched"
    try:
        endpoint, response = _serve_page(service, request)
    except Exception:
        chassis_metrics.HTTP_REQUESTS.labels(request.method, endpoint, "500").inc()
        raise
    chassis_metrics.HTTP_REQUESTS.labels(request.method, endpoint, str(response.status_code)).inc()
    chassis_metrics.HTTP_DURATION.labels(request.method, endpoint).observe(time.perf_counter() - started)
    return response


def _serve_page(service, request):
    """(``web:<page>``, the response) of one page request."""
    static = request.path.startswith("/web/static/")
    if static:
        response = static_file(request.path[len("/web/static/"):])
        return "web:static", response if response is not None else _plain(404, "not found")
    page = Page(service, request)
    page.menu = menu(page) if page.session is not None else []
    try:
        endpoint, params = PAGES.bind("localhost").match(request.path, method=request.method)
    except MethodNotAllowed:
        return "web:unmatched", page.render("error.html", status=405, code="method_not_allowed",
                                            detail=request.method)
    except PageNotFound:
        return "web:unmatched", page.render("error.html", status=404, code="not_found", detail=request.path)
    return "web:" + endpoint, _handle(page, request, endpoint, params)


def _handle(page, request, endpoint, params):
    if endpoint.startswith(("console", "selection", "ranking", "registry", "campaign", "reviews", "decisions",
                            "oversight", "objections", "unseal", "records", "dossier",
                            "assessments")) and page.session is None:
        return page.redirect("/web/login?next=" + request.path)
    try:
        if request.method == "POST":
            page.check_post()
        return HANDLERS[endpoint](page, **params)
    except Refused as refused:
        return page.render("error.html", status=403, code="forbidden", detail=str(refused))
    except CadreError as error:
        return page.render("error.html", status=error.status, code=error.code, detail=error.detail)


def _plain(status, text):
    from werkzeug.wrappers import Response
    return Response(text, status=status, content_type="text/plain; charset=utf-8")


def require(page, method, rule):
    if not page.can(method, rule):
        raise Refused(f"role {page.session.role if page.session else None!r} may not {method} {rule}")


def menu(page):
    return [(label, url) for label, url, (method, rule) in MENU if page.can(method, rule)]


# ---- public pages -------------------------------------------------------------------------------

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
                answer = page.service.backend("records", "list_records", ("gateway-web", None, page.request_id),
                                              query=query)
            except CadreError:
                break  # the board still shows the notices; only the check links are missing
            for entry in answer["items"]:
                notice = _result(entry).get("notice")
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
    answer = page.api("GET", "/api/v1/notices", query={"status": status_filter,
                                                       "cursor": page.request.args.get("cursor"), "limit": 20})
    records_ = notice_records(page, answer.body["items"]) if answer.ok else {}
    return page.render("notices.html", status=status, answer=answer, outcome=outcome, status_filter=status_filter,
                       records=records_)


def objection(page, id):
    content = page.request.form.get("content", "")
    answer = page.api("POST", f"/api/v1/notices/{id}/objections", body={"content": content},
                      idempotency_key=page.idempotency_key())
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
            name, role = page.service.auth.principal(f"Bearer {token}", fresh=True)
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
    return page.render("login.html", status=401 if problem else 200, problem=problem,
                       next=_safe_next(page.request.args.get("next") or page.form("next")))


def _safe_next(value):
    return value if value and value.startswith("/web/") and not value.startswith("//") else "/web/console"


def logout(page):
    sessions.close_session(page.request)
    response = page.redirect("/")
    response.delete_cookie(sessions.SESSION_COOKIE, path="/")
    return response


def console(page):
    return page.render("console.html", menu=menu(page))


# ---- the record, read as the session's principal --------------------------------------------------

def recent_records(page, count=1000, subject=None):
    """The latest ``count`` entries of the log (or all of one subject's), oldest first."""
    query = {"limit": 500}
    if subject:
        query["subject"] = subject
    else:
        checkpoint = page.api("GET", "/api/v1/records/checkpoint")
        size = checkpoint.body.get("size", 0) if checkpoint.ok else 0
        query["cursor"] = str(max(0, size - count))
    items = []
    for _ in range(max(1, count // 500 + 1)):
        answer = page.api("GET", "/api/v1/records", query=query)
        if not answer.ok:
            return items, answer
        items += answer.body["items"]
        if not answer.body.get("next_cursor"):
            break
        query["cursor"] = answer.body["next_cursor"]
    return items, None


def _result(entry):
    try:
        value = json.loads(entry.get("result") or "null")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def selections_from_records(entries):
    """Each selection's latest stage, from its ``selection opened`` and ``stage changed`` entries."""
    found = {}
    for entry in entries:
        subject = entry.get("subject") or ""
        if not subject.startswith("selection:"):
            continue
        sid = subject.split(":", 1)[1]
        matter = entry.get("matter")
        if matter == "selection opened":
            data = _result(entry)
            found.setdefault(sid, {"id": sid, "stage": "motion"}).update(
                post=data.get("post"), vacancies=data.get("vacancies"), at=entry.get("occurred_at"))
        elif matter == "selection stage changed":
            found.setdefault(sid, {"id": sid}).update(stage=entry.get("stage"), at=entry.get("occurred_at"))
    return sorted(found.values(), key=lambda s: s.get("at") or "", reverse=True)


# ---- org: selections ---------------------------------------------------------------------------

def selections(page):
    require(page, "GET", SEL)
    outcome = None
    if page.request.method == "POST":
        body = {"post": page.form("post"), "vacancies": forms.number(page.form("vacancies")),
                "competitive": forms.checkbox(page.request.form, "competitive"),
                "motion": {"proposed_by": page.form("proposed_by"), "reason": page.form("reason")}}
        outcome = page.api("POST", "/api/v1/selections", body=body, idempotency_key=page.idempotency_key())
        if outcome.ok:
            return page.redirect(f"/web/console/selections/{outcome.body['id']}")
    wanted = page.request.args.get("go", "").strip()
    if wanted:
        return page.redirect(f"/web/console/selections/{wanted}")
    entries, error = recent_records(page)
    listed = selections_from_records(entries)
    by_stage = {}
    for item in listed:
        by_stage.setdefault(item.get("stage") or "motion", []).append(item)
    return page.render("selections.html", by_stage=by_stage, stages=list(NEXT_ACTIONS), error=error,
                       outcome=outcome, status=outcome.status if outcome else 200)


def _ballot_sessions(entries):
    sessions_ = {}
    for entry in entries:
        if entry.get("matter") in ("ballot session opened", "ballot session closed"):
            data = _result(entry)
            sid = data.get("session")
            if not sid:
                continue
            item = sessions_.setdefault(sid, {"id": sid, "status": "open"})
            item.update({k: data[k] for k in ("kind", "electorate", "seats", "cast", "turnout", "quorum_met",
                                               "results") if k in data})
            if entry.get("matter") == "ballot session closed":
                item["status"] = "closed"
    return list(sessions_.values())


def selection(page, id, outcome=None, status=200):
    require(page, "GET", SEL)
    answer = page.api("GET", f"/api/v1/selections/{id}")
    if not answer.ok:
        return page.render("error.html", status=answer.status, code=answer.body.get("code"),
                           detail=answer.body.get("detail"))
    detail = answer.body
    entries, _ = recent_records(page, subject=f"selection:{id}") if page.can("GET", "/api/v1/records") else ([], None)
    actions = [a for a in NEXT_ACTIONS.get(detail["stage"], []) if page.can("POST", SELECTION_ACTIONS[a])]
    if detail["stage"] in BEFORE_DECISION and page.can("POST", SELECTION_ACTIONS["pre-report"]):
        actions.append("pre-report")
    return page.render("selection.html", status=status, sel=detail, actions=actions, entries=entries,
                       ballot_sessions=_ballot_sessions(entries), outcome=outcome,
                       now_local=forms.now_local, dossier=page.can("GET", "/api/v1/selections/<id>/dossier"))


def selection_action(page, id, action):
    if action == "close-session":
        require(page, "POST", "/api/v1/ballot-sessions/<id>/close")
        session_id = page.form("session")
        outcome = page.api("POST", f"/api/v1/ballot-sessions/{session_id}/close",
                           idempotency_key=page.idempotency_key())
        return selection(page, id, outcome={"action": action, "answer": outcome},
                         status=200 if outcome.ok else outcome.status)
    if action not in SELECTION_ACTIONS:
        return page.render("error.html", status=404, code="not_found", detail=action)
    require(page, "POST", SELECTION_ACTIONS[action])
    body = forms.selection_body(action, page.request.form)
    answer = page.api("POST", SELECTION_ACTIONS[action].replace("<id>", id), body=body,
                      idempotency_key=page.idempotency_key())
    if action == "ballot-session" and answer.ok:
        # the tokens exist only in this answer: the printable slips, once
        return page.render("slips.html", sel=id, session_=answer.body, body=body)
    return selection(page, id, outcome={"action": action, "answer": answer},
                     status=200 if answer.ok else answer.status)


def ranking(page, id):
    require(page, "GET", "/api/v1/selections/<id>/ranking")
    answer = page.api("GET", f"/api/v1/selections/{id}/ranking")
    return page.render("ranking.html", sel=id, answer=answer, status=200 if answer.ok else answer.status)


# ---- org: units, posts, cadres ---------------------------------------------------------------------

REGISTRY_ACTIONS = {
    "unit": ("/api/v1/units", lambda f: {"code": f("code"), "name": f("name")}),
    "post": ("/api/v1/posts", lambda f: {"code": f("code"), "unit": f("unit"), "title": f("title"), "rank": f("rank"),
                                         "category": f("category"), "headcount": forms.number(f("headcount"))}),
    "cadre": ("/api/v1/cadres", lambda f: {"code": f("code"), "name": f("name"), "unit": f("unit"),
                                           "rank": f("rank"),
                                           "grassroots_years": forms.number(f("grassroots_years"))}),
}


def _csv_of(page):
    upload = page.request.files.get("file")
    if upload is not None and upload.filename:
        return upload.read().decode("utf-8-sig", errors="replace")
    return page.request.form.get("csv", "")


def registry(page):
    require(page, "POST", "/api/v1/units")
    outcome, looked_up = None, None
    if page.request.method == "POST":
        action = page.form("action")
        if action in REGISTRY_ACTIONS:
            path, build = REGISTRY_ACTIONS[action]
            outcome = {"action": action, "answer": page.api("POST", path, body=build(page.form),
                                                            idempotency_key=page.idempotency_key())}
        elif action in ("posts-import", "cadres-import"):
            path = "/api/v1/posts/import" if action == "posts-import" else "/api/v1/cadres/import"
            outcome = {"action": action, "answer": page.api("POST", path, csv=_csv_of(page),
                                                            idempotency_key=page.idempotency_key())}
    post = page.request.args.get("post", "").strip()
    if post:
        looked_up = page.api("GET", f"/api/v1/posts/{post}")
    status = outcome["answer"].status if outcome and not outcome["answer"].ok else 200
    return page.render("registry.html", outcome=outcome, looked_up=looked_up, status=status)


# ---- org: campaigns ----------------------------------------------------------------------------

def campaigns(page):
    require(page, "POST", "/api/v1/campaigns")
    if page.request.method == "GET" and page.request.args.get("go"):
        return page.redirect(f"/web/console/campaigns/{page.request.args['go'].strip()}")
    answer = None
    if page.request.method == "POST":
        posts = []
        for line in forms.lines(page.form("posts")):
            parts = [part.strip() for part in line.split(",")]
            while len(parts) < 3:
                parts.append("")
            posts.append({"code": parts[0], "title": parts[1], "seats": forms.number(parts[2])})
        body = {"code": page.form("code"), "title": page.form("title"), "posts": posts,
                "weights": {"written": forms.number(page.form("written")),
                            "interview": forms.number(page.form("interview"))},
                "interview_ratio": forms.number(page.form("interview_ratio")),
                "unseal": {"not_before": forms.moment(page.form("not_before")),
                           "threshold": forms.number(page.form("threshold")),
                           "officers": forms.codes(page.form("officers"))}}
        answer = page.api("POST", "/api/v1/campaigns", body=body, idempotency_key=page.idempotency_key())
        if answer.ok:
            return page.render("key_shares.html", campaign=answer.body)
    return page.render("campaigns.html", answer=answer, now_local=forms.now_local,
                       status=answer.status if answer and not answer.ok else 200)


def campaign(page, code):
    require(page, "GET", "/api/v1/campaigns/<code>/applications")
    outcome = None
    if page.request.method == "POST":
        action = page.form("action")
        key = page.idempotency_key()
        if action == "import":
            answer = page.api("POST", f"/api/v1/campaigns/{code}/applications/import", csv=_csv_of(page),
                              idempotency_key=key)
        elif action == "eligibility-import":
            answer = page.api("POST", f"/api/v1/campaigns/{code}/eligibility/import", csv=_csv_of(page),
                              idempotency_key=key)
        elif action == "application":
            answer = page.api("POST", f"/api/v1/campaigns/{code}/applications", idempotency_key=key, body={
                "post": page.form("post"), "applicant": {"id_number": page.form("id_number"), "name": page.form("name"),
                                                         "birth_date": page.form("birth_date"),
                                                         "education": page.form("education")}})
        elif action == "eligibility":
            answer = page.api("POST", f"/api/v1/applications/{page.form('application')}/eligibility",
                              idempotency_key=key, body={"eligible": page.form("eligible") == "yes",
                                                         "reason": page.form("reason") or None})
        elif action == "blind-codes":
            answer = page.api("POST", f"/api/v1/campaigns/{code}/blind-codes", idempotency_key=key)
        elif action == "publish":
            answer = page.api("POST", f"/api/v1/campaigns/{code}/publish", idempotency_key=key)
        elif action == "vendor":
            answer = page.api("POST", f"/api/v1/campaigns/{code}/vendors", idempotency_key=key,
                              body={"vendor": page.form("vendor"), "role": page.form("role")})
        elif action == "interview-draw":
            answer = page.api("POST", f"/api/v1/campaigns/{code}/interview-draw", idempotency_key=key,
                              body={"examiners": forms.number(page.form("examiners"))})
        else:
            answer = None
        outcome = {"action": action, "answer": answer} if answer else None
    applications = page.api("GET", f"/api/v1/campaigns/{code}/applications", query={"limit": 500})
    results_ = page.api("GET", f"/api/v1/campaigns/{code}/results")
    status = outcome["answer"].status if outcome and not outcome["answer"].ok else 200
    return page.render("campaign.html", code=code, applications=applications, results=results_, outcome=outcome,
                       status=status)


# ---- org, superior: routine assessment ------------------------------------------------------------

RANKING = "/api/v1/assessments/<period>/ranking"


def assessments(page):
    """org records units' period scores; org and superior see the ranking, the bottom N flagged."""
    require(page, "GET", RANKING)
    outcome = None
    if page.request.method == "POST":
        require(page, "POST", "/api/v1/assessments")
        outcome = page.api("POST", "/api/v1/assessments", idempotency_key=page.idempotency_key(),
                           body={"period": page.form("period"), "unit": page.form("unit"),
                                 "score": forms.number(page.form("score"))})
    period = (page.request.args.get("period") or page.form("period")).strip()
    bottom = (page.request.args.get("bottom") or page.form("bottom")).strip()
    ranking_ = None
    if period:
        ranking_ = page.api("GET", RANKING.replace("<period>", quote(period, safe="")),
                            query={"bottom": bottom or None})
    status = 200
    if outcome is not None and not outcome.ok:
        status = outcome.status
    elif ranking_ is not None and not ranking_.ok and page.request.method == "GET":
        status = ranking_.status
    return page.render("assessments.html", outcome=outcome, ranking=ranking_, period=period, bottom=bottom,
                       can_record=page.can("POST", "/api/v1/assessments"), status=status)


# ---- the review departments, org, superior: joint reviews ------------------------------------------

def reviews(page):
    require(page, "GET", "/api/v1/reviews")
    outcome = None
    if page.request.method == "POST":
        require(page, "POST", "/api/v1/reviews/<id>/verdicts")
        outcome = page.api("POST", f"/api/v1/reviews/{page.form('review')}/verdicts",
                           body={"verdict": page.form("verdict"), "reason": page.form("reason") or None},
                           idempotency_key=page.idempotency_key())
    # the superior may list overdue reviews only (gateway/authz.py)
    status_filter = page.request.args.get("status", "overdue" if page.session.role == "superior" else "pending")
    answer = page.api("GET", "/api/v1/reviews", query={"status": status_filter if status_filter != "all" else None,
                                                       "selection": page.request.args.get("selection"),
                                                       "limit": 200})
    return page.render("reviews.html", answer=answer, outcome=outcome, status_filter=status_filter,
                       can_verdict=page.can("POST", "/api/v1/reviews/<id>/verdicts"),
                       status=outcome.status if outcome and not outcome.ok else 200)


# ---- committee: decisions ----------------------------------------------------------------------

def decisions(page):
    require(page, "POST", "/api/v1/selections/<id>/decision")
    outcome = None
    if page.request.method == "POST":
        sel = page.form("selection")
        outcome = page.api("POST", f"/api/v1/selections/{sel}/decision",
                           body=forms.selection_body("decision", page.request.form),
                           idempotency_key=page.idempotency_key())
    waiting, error = [], None
    if page.can("GET", "/api/v1/records"):
        entries, error = recent_records(page)
        waiting = [s for s in selections_from_records(entries) if s.get("stage") == "joint_review"]
    return page.render("decisions.html", waiting=waiting, error=error, outcome=outcome, now_local=forms.now_local,
                       chosen=page.request.args.get("selection", ""),
                       status=outcome.status if outcome and not outcome.ok else 200)


# ---- superior: pre-reports, observers, overdue ----------------------------------------------------

def oversight(page):
    require(page, "GET", "/api/v1/filings")
    outcome = None
    if page.request.method == "POST":
        action = page.form("action")
        if action == "approve":
            require(page, "POST", "/api/v1/pre-reports/<id>/approve")
            outcome = page.api("POST", f"/api/v1/pre-reports/{page.form('pre_report')}/approve",
                               idempotency_key=page.idempotency_key())
        elif action == "observer":
            require(page, "POST", "/api/v1/selections/<id>/observer")
            outcome = page.api("POST", f"/api/v1/selections/{page.form('selection')}/observer",
                               body={"name": page.form("name")}, idempotency_key=page.idempotency_key())
    pre_reports = {}
    if page.can("GET", "/api/v1/records"):
        entries, _ = recent_records(page)
        for entry in entries:
            if entry.get("matter") in ("pre report submitted", "pre report approved"):
                data = _result(entry)
                if data.get("pre_report"):
                    item = pre_reports.setdefault(data["pre_report"], {"id": data["pre_report"],
                                                                       "selection": data.get("selection"),
                                                                       "status": "submitted"})
                    if entry["matter"] == "pre report approved":
                        item["status"] = "approved"
    overdue_reviews = page.api("GET", "/api/v1/reviews", query={"status": "overdue", "limit": 200})
    overdue_filings = page.api("GET", "/api/v1/filings", query={"status": "overdue", "limit": 200})
    return page.render("oversight.html", outcome=outcome, pre_reports=list(pre_reports.values()),
                       overdue_reviews=overdue_reviews, overdue_filings=overdue_filings,
                       can_approve=page.can("POST", "/api/v1/pre-reports/<id>/approve"),
                       can_observe=page.can("POST", "/api/v1/selections/<id>/observer"),
                       status=outcome.status if outcome and not outcome.ok else 200)


# ---- org, discipline: objections ----------------------------------------------------------------

def objections(page):
    require(page, "POST", "/api/v1/objections/<id>/resolve")
    outcome = None
    if page.request.method == "POST":
        outcome = page.api("POST", f"/api/v1/objections/{page.form('objection')}/resolve",
                           body={"upheld": page.form("upheld") == "yes", "finding": page.form("finding")},
                           idempotency_key=page.idempotency_key())
    listed = page.api("GET", "/api/v1/notices", query={"limit": 30})
    board = []
    if listed.ok:
        for notice in listed.body["items"]:
            lodged = page.api("GET", f"/api/v1/notices/{notice['id']}/objections", query={"limit": 200})
            board.append((notice, lodged.body.get("items", []) if lodged.ok else []))
    return page.render("objections.html", board=board, outcome=outcome,
                       status=outcome.status if outcome and not outcome.ok else 200)


# ---- officer: unseal ---------------------------------------------------------------------------

def unseal(page):
    require(page, "POST", "/api/v1/campaigns/<code>/unseal")
    answer = None
    if page.request.method == "POST":
        answer = page.api("POST", f"/api/v1/campaigns/{page.form('campaign')}/unseal",
                          body={"stage": page.form("stage"), "share": page.form("share")},
                          idempotency_key=page.idempotency_key())
    return page.render("unseal.html", answer=answer, status=answer.status if answer and not answer.ok else 200)


# ---- auditor (and org, committee, superior): the record and dossiers --------------------------------

def records(page):
    require(page, "GET", "/api/v1/records")
    cursor = page.request.args.get("cursor")
    subject = page.request.args.get("subject") or None
    if cursor is None and subject is None:
        checkpoint = page.api("GET", "/api/v1/records/checkpoint")
        size = checkpoint.body.get("size", 0) if checkpoint.ok else 0
        cursor = str(max(0, size - 50))
    answer = page.api("GET", "/api/v1/records", query={"cursor": cursor, "subject": subject, "limit": 50})
    return page.render("records.html", answer=answer, subject=subject or "",
                       previous=str(max(0, int(cursor) - 50)) if cursor and cursor.isdigit() and int(cursor) else None)


def dossier(page):
    require(page, "GET", "/api/v1/selections/<id>/dossier")
    sel = page.request.args.get("selection", "").strip()
    answer = page.api("GET", f"/api/v1/selections/{sel}/dossier") if sel else None
    return page.render("dossier.html", sel=sel, answer=answer,
                       status=answer.status if answer is not None and not answer.ok else 200)


ballot, ballot_check, console_ballot_board = ballot_pages.ballot, ballot_pages.ballot_check, ballot_pages.board
HANDLERS = {name: globals()[name] for name in (
    "home", "notices", "objection", "disclosures", "results", "check", "ballot", "ballot_check", "login", "logout", "console",
    "selections", "selection", "selection_action", "ranking", "registry", "campaigns", "campaign", "assessments",
    "reviews", "console_ballot_board",
    "decisions", "oversight", "objections", "unseal", "records", "dossier")}
