"""The console's selection pages: the selections by stage, one selection with its next allowed actions as
forms, the ranking of the four emphases, and the committee's decisions."""
from gateway.web import forms
from gateway.web.app import entry_result
from gateway.web.console import recent_records

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
            data = entry_result(entry)
            found.setdefault(sid, {"id": sid, "stage": "motion"}).update(
                post=data.get("post"), vacancies=data.get("vacancies"), at=entry.get("occurred_at"))
        elif matter == "selection stage changed":
            found.setdefault(sid, {"id": sid}).update(stage=entry.get("stage"), at=entry.get("occurred_at"))
    return sorted(found.values(), key=lambda s: s.get("at") or "", reverse=True)


# ---- org: selections ---------------------------------------------------------------------------

def selections(page):
    page.require("GET", SEL)
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
            data = entry_result(entry)
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
    page.require("GET", SEL)
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
        page.require("POST", "/api/v1/ballot-sessions/<id>/close")
        session_id = page.form("session")
        outcome = page.api("POST", f"/api/v1/ballot-sessions/{session_id}/close",
                           idempotency_key=page.idempotency_key())
        return selection(page, id, outcome={"action": action, "answer": outcome},
                         status=200 if outcome.ok else outcome.status)
    if action not in SELECTION_ACTIONS:
        return page.render("error.html", status=404, code="not_found", detail=action)
    page.require("POST", SELECTION_ACTIONS[action])
    body = forms.selection_body(action, page.request.form)
    answer = page.api("POST", SELECTION_ACTIONS[action].replace("<id>", id), body=body,
                      idempotency_key=page.idempotency_key())
    if action == "ballot-session" and answer.ok:
        # the tokens exist only in this answer: the printable slips, once
        return page.render("slips.html", sel=id, session_=answer.body, body=body)
    return selection(page, id, outcome={"action": action, "answer": answer},
                     status=200 if answer.ok else answer.status)


def ranking(page, id):
    page.require("GET", "/api/v1/selections/<id>/ranking")
    answer = page.api("GET", f"/api/v1/selections/{id}/ranking")
    return page.render("ranking.html", sel=id, answer=answer, status=200 if answer.ok else answer.status)


# ---- committee: decisions ----------------------------------------------------------------------

def decisions(page):
    page.require("POST", "/api/v1/selections/<id>/decision")
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
