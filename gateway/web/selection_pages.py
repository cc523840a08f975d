"""The console's selection pages: the selections by stage, one selection with its next allowed actions as
forms, the ranking of the four emphases, and the committee's decisions."""

import services.nomination.contract as nomination_contract
from gateway.web import forms, readable
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
# The stages in the procedure's order, as the nomination contract accepts them. Which steps each stage allows
# is the nomination service's stage table alone (services/nomination/domain/stages.py): its list of
# selections says so for each selection (``next_actions``).
STAGES = tuple(nomination_contract.SelectionsQuery().fields["stage"].validate.choices)
LISTED_MOST = 1000  # the selections page shows the newest thousand


def form_of(step):
    """The form action of this page that takes a step the service names next (``ballot_session`` →
    ``ballot-session``), or None for steps taken elsewhere: a ballot on the ballot page, closing a session
    by its own button, the decision on the committee's page, the observer on the oversight page."""
    action = step.replace("_", "-")
    return action if action in SELECTION_ACTIONS else None


def listed_selections(page, stage=None, most=LISTED_MOST):
    """The newest ``most`` selections (at ``stage`` only, if given) from the nomination service's list, asked
    as the session's principal: (items, None), or (the items so far, the refusal)."""
    query, items = {"limit": 500}, []
    if stage:
        query["stage"] = stage
    while len(items) < most:
        answer = page.rpc("nomination", "list_selections", query=dict(query))
        if not answer.ok:
            return items, answer
        items += answer.body["items"]
        if not answer.body.get("next_cursor"):
            break
        query["cursor"] = answer.body["next_cursor"]
    return items[:most], None


def listed_selection(page, id, stage):
    """The list's item of one selection, looked up among those at its stage; None if it is not there (its
    stage changed since it was read)."""
    items, _ = listed_selections(page, stage, most=10 * LISTED_MOST)
    return next((item for item in items if item["id"] == id), None)


# ---- org: selections ---------------------------------------------------------------------------


def selections(page):
    page.require("GET", SEL)
    outcome = None
    if page.request.method == "POST":
        body = {
            "post": page.form("post"),
            "vacancies": forms.number(page.form("vacancies")),
            "competitive": forms.checkbox(page.request.form, "competitive"),
            "motion": {"proposed_by": page.form("proposed_by"), "reason": page.form("reason")},
        }
        outcome = page.api("POST", "/api/v1/selections", body=body, idempotency_key=page.idempotency_key())
        if outcome.ok:
            return page.redirect(f"/web/console/selections/{outcome.body['id']}")
    wanted = page.request.args.get("go", "").strip()
    if wanted:
        return page.redirect(f"/web/console/selections/{wanted}")
    listed, error = listed_selections(page)
    by_stage = {}
    for item in listed:
        by_stage.setdefault(item["stage"], []).append(item)
    return page.render(
        "selections.html",
        by_stage=by_stage,
        stages=STAGES,
        error=error,
        outcome=outcome,
        status=outcome.status if outcome else 200,
    )


def _ballot_sessions(entries):
    sessions_ = {}
    for entry in entries:
        if entry.get("matter") in ("ballot session opened", "ballot session closed"):
            data = entry_result(entry)
            sid = data.get("session")
            if not sid:
                continue
            item = sessions_.setdefault(sid, {"id": sid, "status": "open"})
            # when it opened and closed, as the record has it: the day a person names the session by
            moment = "closed_at" if entry.get("matter") == "ballot session closed" else "opened_at"
            item[moment] = entry.get("occurred_at")
            item.update(
                {
                    k: data[k]
                    for k in ("kind", "electorate", "seats", "cast", "turnout", "quorum_met", "results")
                    if k in data
                }
            )
            if entry.get("matter") == "ballot session closed":
                item["status"] = "closed"
    return list(sessions_.values())


def _campaign_titles(page, nominees):
    """{code: title} of the campaigns the nominees' bases name, from each one's opening in the record (it
    names the title), for a role that may read the record. One call per campaign named, not per
    nominee: a selection's public-selection nominees all come from its post's campaign."""
    named = sorted({(n.get("basis") or {}).get("campaign") for n in nominees} - {None, ""})
    if not named or not page.can("GET", "/api/v1/records"):
        return {}
    titles = {}
    for code in named:
        answer = page.api(
            "GET", "/api/v1/records", query={"subject": f"campaign:{code}", "matter": "campaign opened", "limit": 1}
        )
        first = answer.body.get("items", []) if answer.ok else []
        title = entry_result(first[0]).get("title") if first else None
        if isinstance(title, str) and title:
            titles[code] = title
    return titles


def selection(page, id, outcome=None, status=200):
    page.require("GET", SEL)
    answer = page.api("GET", f"/api/v1/selections/{id}")
    if not answer.ok:
        return page.render(
            "error.html", status=answer.status, code=answer.body.get("code"), detail=answer.body.get("detail")
        )
    detail = answer.body
    entries, _ = recent_records(page, subject=f"selection:{id}") if page.can("GET", "/api/v1/records") else ([], None)
    listed = listed_selection(page, id, detail["stage"])
    steps = [form_of(step) for step in (listed or {}).get("next_actions", [])]
    actions = [action for action in steps if action and page.can("POST", SELECTION_ACTIONS[action])]
    ballot_sessions = _ballot_sessions(entries)
    return page.render(
        "selection.html",
        status=status,
        sel=detail,
        names=readable.names_of(detail.get("nominees")),
        actions=actions,
        entries=entries,
        ballot_sessions=ballot_sessions,
        sessions={session["id"]: session for session in ballot_sessions},
        campaigns=_campaign_titles(page, detail.get("nominees") or []),
        outcome=outcome,
        now_local=forms.now_local,
        dossier=page.can("GET", "/api/v1/selections/<id>/dossier"),
    )


def selection_action(page, id, action):
    if action == "close-session":
        page.require("POST", "/api/v1/ballot-sessions/<id>/close")
        session_id = page.form("session")
        outcome = page.api(
            "POST", f"/api/v1/ballot-sessions/{session_id}/close", idempotency_key=page.idempotency_key()
        )
        return selection(
            page, id, outcome={"action": action, "answer": outcome}, status=200 if outcome.ok else outcome.status
        )
    if action not in SELECTION_ACTIONS:
        return page.render("error.html", status=404, code="not_found", detail=action)
    page.require("POST", SELECTION_ACTIONS[action])
    body = forms.selection_body(action, page.request.form)
    answer = page.api(
        "POST", SELECTION_ACTIONS[action].replace("<id>", id), body=body, idempotency_key=page.idempotency_key()
    )
    if action == "ballot-session" and answer.ok:
        # the tokens exist only in this answer: the printable slips, once
        return page.render("slips.html", sel=id, session_=answer.body, body=body)
    return selection(page, id, outcome={"action": action, "answer": answer}, status=200 if answer.ok else answer.status)


def ranking(page, id):
    page.require("GET", "/api/v1/selections/<id>/ranking")
    answer = page.api("GET", f"/api/v1/selections/{id}/ranking")
    # the nominees' names come with the selection (one call; whoever may rank it may read it)
    detail = page.api("GET", f"/api/v1/selections/{id}") if answer.ok and page.can("GET", SEL) else None
    names = readable.names_of(detail.body.get("nominees")) if detail is not None and detail.ok else {}
    return page.render("ranking.html", sel=id, answer=answer, names=names, status=200 if answer.ok else answer.status)


# ---- committee: decisions ----------------------------------------------------------------------


def decisions(page):
    page.require("POST", "/api/v1/selections/<id>/decision")
    outcome = None
    if page.request.method == "POST":
        sel = page.form("selection")
        outcome = page.api(
            "POST",
            f"/api/v1/selections/{sel}/decision",
            body=forms.selection_body("decision", page.request.form),
            idempotency_key=page.idempotency_key(),
        )
    waiting, error = listed_selections(page, stage="joint_review")
    return page.render(
        "decisions.html",
        waiting=waiting,
        error=error,
        outcome=outcome,
        now_local=forms.now_local,
        chosen=page.request.args.get("selection", ""),
        status=outcome.status if outcome and not outcome.ok else 200,
    )
