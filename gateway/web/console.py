"""The department console: its menu and home, the registry, campaigns, unsealing, the record and dossiers (the
selection pages are in selection_pages, routine assessment, joint reviews, oversight and objections in
supervision_pages)."""

from gateway.web import forms


def N_(message):
    return message


# The console's menu: (label msgid, url, the endpoint whose authorization decides who sees it).
MENU = [
    (N_("Selections"), "/web/console/selections", ("GET", "/api/v1/selections/<id>")),
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


def menu(page):
    return [(label, url) for label, url, (method, rule) in MENU if page.can(method, rule)]


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


# ---- org: units, posts, cadres ---------------------------------------------------------------------

REGISTRY_ACTIONS = {
    "unit": ("/api/v1/units", lambda f: {"code": f("code"), "name": f("name")}),
    "post": (
        "/api/v1/posts",
        lambda f: {
            "code": f("code"),
            "unit": f("unit"),
            "title": f("title"),
            "rank": f("rank"),
            "category": f("category"),
            "headcount": forms.number(f("headcount")),
        },
    ),
    "cadre": (
        "/api/v1/cadres",
        lambda f: {
            "code": f("code"),
            "name": f("name"),
            "unit": f("unit"),
            "rank": f("rank"),
            "grassroots_years": forms.number(f("grassroots_years")),
        },
    ),
}


def _csv_of(page):
    """The CSV a form sent, as bytes: an uploaded file is handed to the API unread, so the API's one decoder
    refuses what it cannot read (not UTF-8) exactly as it does for a client, instead of guessing here."""
    upload = page.request.files.get("file")
    if upload is not None and upload.filename:
        return upload.read()
    return page.request.form.get("csv", "").encode("utf-8")


def registry(page):
    page.require("POST", "/api/v1/units")
    outcome, looked_up = None, None
    if page.request.method == "POST":
        action = page.form("action")
        if action in REGISTRY_ACTIONS:
            path, build = REGISTRY_ACTIONS[action]
            outcome = {
                "action": action,
                "answer": page.api("POST", path, body=build(page.form), idempotency_key=page.idempotency_key()),
            }
        elif action in ("posts-import", "cadres-import"):
            path = "/api/v1/posts/import" if action == "posts-import" else "/api/v1/cadres/import"
            outcome = {
                "action": action,
                "answer": page.api("POST", path, csv=_csv_of(page), idempotency_key=page.idempotency_key()),
            }
    post = page.request.args.get("post", "").strip()
    if post:
        looked_up = page.api("GET", f"/api/v1/posts/{post}")
    status = outcome["answer"].status if outcome and not outcome["answer"].ok else 200
    return page.render("registry.html", outcome=outcome, looked_up=looked_up, status=status)


# ---- org: campaigns ----------------------------------------------------------------------------


def campaigns(page):
    page.require("POST", "/api/v1/campaigns")
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
        body = {
            "code": page.form("code"),
            "title": page.form("title"),
            "posts": posts,
            "weights": {
                "written": forms.number(page.form("written")),
                "interview": forms.number(page.form("interview")),
            },
            "interview_ratio": forms.number(page.form("interview_ratio")),
            "unseal": {
                "not_before": forms.moment(page.form("not_before")),
                "threshold": forms.number(page.form("threshold")),
                "officers": forms.codes(page.form("officers")),
            },
        }
        answer = page.api("POST", "/api/v1/campaigns", body=body, idempotency_key=page.idempotency_key())
        if answer.ok:
            return page.render("key_shares.html", campaign=answer.body)
    return page.render(
        "campaigns.html",
        answer=answer,
        now_local=forms.now_local,
        status=answer.status if answer and not answer.ok else 200,
    )


def campaign(page, code):
    page.require("GET", "/api/v1/campaigns/<code>/applications")
    outcome = None
    if page.request.method == "POST":
        action = page.form("action")
        key = page.idempotency_key()
        if action == "import":
            answer = page.api(
                "POST", f"/api/v1/campaigns/{code}/applications/import", csv=_csv_of(page), idempotency_key=key
            )
        elif action == "eligibility-import":
            answer = page.api(
                "POST", f"/api/v1/campaigns/{code}/eligibility/import", csv=_csv_of(page), idempotency_key=key
            )
        elif action == "application":
            answer = page.api(
                "POST",
                f"/api/v1/campaigns/{code}/applications",
                idempotency_key=key,
                body={
                    "post": page.form("post"),
                    "applicant": {
                        "id_number": page.form("id_number"),
                        "name": page.form("name"),
                        "birth_date": page.form("birth_date"),
                        "education": page.form("education"),
                    },
                },
            )
        elif action == "eligibility":
            answer = page.api(
                "POST",
                f"/api/v1/applications/{page.form('application')}/eligibility",
                idempotency_key=key,
                body={"eligible": page.form("eligible") == "yes", "reason": page.form("reason") or None},
            )
        elif action == "blind-codes":
            answer = page.api("POST", f"/api/v1/campaigns/{code}/blind-codes", idempotency_key=key)
        elif action == "publish":
            answer = page.api("POST", f"/api/v1/campaigns/{code}/publish", idempotency_key=key)
        elif action == "vendor":
            answer = page.api(
                "POST",
                f"/api/v1/campaigns/{code}/vendors",
                idempotency_key=key,
                body={"vendor": page.form("vendor"), "role": page.form("role")},
            )
        elif action == "interview-draw":
            answer = page.api(
                "POST",
                f"/api/v1/campaigns/{code}/interview-draw",
                idempotency_key=key,
                body={"examiners": forms.number(page.form("examiners"))},
            )
        else:
            answer = None
        outcome = {"action": action, "answer": answer} if answer else None
    applications = page.api("GET", f"/api/v1/campaigns/{code}/applications", query={"limit": 500})
    results_ = page.api("GET", f"/api/v1/campaigns/{code}/results")
    status = outcome["answer"].status if outcome and not outcome["answer"].ok else 200
    return page.render(
        "campaign.html", code=code, applications=applications, results=results_, outcome=outcome, status=status
    )


# ---- officer: unseal ---------------------------------------------------------------------------


def unseal(page):
    page.require("POST", "/api/v1/campaigns/<code>/unseal")
    answer = None
    if page.request.method == "POST":
        answer = page.api(
            "POST",
            f"/api/v1/campaigns/{page.form('campaign')}/unseal",
            body={"stage": page.form("stage"), "share": page.form("share")},
            idempotency_key=page.idempotency_key(),
        )
    return page.render("unseal.html", answer=answer, status=answer.status if answer and not answer.ok else 200)


# ---- auditor (and org, committee, superior): the record and dossiers --------------------------------


def records(page):
    page.require("GET", "/api/v1/records")
    cursor = page.request.args.get("cursor")
    subject = page.request.args.get("subject") or None
    if cursor is None and subject is None:
        checkpoint = page.api("GET", "/api/v1/records/checkpoint")
        size = checkpoint.body.get("size", 0) if checkpoint.ok else 0
        cursor = str(max(0, size - 50))
    answer = page.api("GET", "/api/v1/records", query={"cursor": cursor, "subject": subject, "limit": 50})
    return page.render(
        "records.html",
        answer=answer,
        subject=subject or "",
        previous=str(max(0, int(cursor) - 50)) if cursor and cursor.isdigit() and int(cursor) else None,
    )


def dossier(page):
    page.require("GET", "/api/v1/selections/<id>/dossier")
    sel = page.request.args.get("selection", "").strip()
    answer = page.api("GET", f"/api/v1/selections/{sel}/dossier") if sel else None
    return page.render(
        "dossier.html", sel=sel, answer=answer, status=answer.status if answer is not None and not answer.ok else 200
    )
