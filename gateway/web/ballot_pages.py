"""The public ballot pages: a token opens the list of the session's candidates by name, the voter ticks
at most ``seats`` of them, the answer is the voter's tracker; and the tracker check."""

from urllib.parse import quote

from gateway.web import readable

CHECK_PATH = "/web/ballot/check"


def ballot(page):
    """Three steps on one URL: the token (GET), the list to tick (POST ``step=token``), the cast (POST
    ``step=cast``). The page never keeps anything: the token travels in the voter's own form only."""
    if page.request.method != "POST":
        return page.render("ballot.html", step="token", token="", form=None, answer=None)
    token = page.form("token")
    # the page asks what the token may see, through the API like any client (rate limit included)
    form = page.api("POST", "/api/v1/ballot-forms", body={"token": token})
    if not form.ok:
        return page.render("ballot.html", step="token", token="", form=None, answer=form, status=form.status)
    if page.form("step") != "cast":
        return page.render("ballot.html", step="choose", token=token, form=form.body, answer=None, ticked=[])
    on_list = {candidate["code"] for candidate in form.body["candidates"]}
    ticked = [code for code in page.request.form.getlist("choice") if code in on_list]
    if len(ticked) > form.body["seats"]:
        # the API would count it as an invalid ballot: the page says so before anything is cast
        return page.render(
            "ballot.html",
            step="choose",
            token=token,
            form=form.body,
            answer=None,
            ticked=ticked,
            too_many=len(ticked),
            status=400,
        )
    # no Idempotency-Key: a ballot keeps no idempotency record (API.md), the token is single-use anyway
    answer = page.api("POST", "/api/v1/ballots", body={"token": token, "choices": ticked})
    if not answer.ok:
        return page.render("ballot.html", step="token", token="", form=None, answer=answer, status=answer.status)
    return page.render(
        "ballot.html",
        step="done",
        token="",
        form=None,
        answer=answer,
        tracker=answer.body["tracker"],
        check_url=f"{CHECK_PATH}?tracker={answer.body['tracker']}",
    )


def ballot_check(page):
    tracker = page.request.args.get("tracker", "").strip().lower()
    answer = page.api("GET", f"/api/v1/ballots/{quote(tracker, safe='')}") if tracker else None
    return page.render(
        "ballot_check.html",
        tracker=tracker,
        answer=answer,
        status=answer.status if answer is not None and not answer.ok else 200,
    )


BOARD_RULE = "/api/v1/ballot-sessions/<id>/board"


def recount(board):
    """Count the listed ballots again, here in the gateway and not in the nomination service: the valid
    ones' choices give each candidate's votes; the answer says whether that equals the published results
    and whether there are as many trackers as ballots."""
    published = {item["cadre"]: item["votes"] for item in board.get("results", [])}
    counted = {cadre: 0 for cadre in published}
    for item in board.get("ballots", []):
        if item.get("valid"):
            for cadre in item.get("choices", []):
                counted[cadre] = counted.get(cadre, 0) + 1
    rows = [
        {"cadre": cadre, "published": published.get(cadre), "recounted": counted.get(cadre, 0)}
        for cadre in sorted(set(published) | set(counted), key=lambda c: (-counted.get(c, 0), c))
    ]
    return {
        "rows": rows,
        "equal": counted == published,
        "trackers_match": len(board.get("trackers", [])) == len(board.get("ballots", [])),
    }


def board(page):
    page.require("GET", BOARD_RULE)
    session = page.request.args.get("session", "").strip()
    answer = page.api("GET", f"/api/v1/ballot-sessions/{quote(session, safe='')}/board") if session else None
    checked = recount(answer.body) if answer is not None and answer.ok else None
    return page.render(
        "ballot_board.html",
        ballot_session=session,
        answer=answer,
        checked=checked,
        names=readable.names_of(answer.body.get("candidates")) if checked else {},
        status=answer.status if answer is not None and not answer.ok else 200,
    )
