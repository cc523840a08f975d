"""A meeting votes from one address; refused ballots alone are limited; voter receipts (trackers), the
receipt check and the ballot board; and an insider reading the nomination database finds no tracker
stored beside a token hash, a ballot or a time (API.md "Conventions" rate limits, "Nomination" ballots).

Its own suite, with the DEFAULT configuration: no proxy trusted, the production rate limits."""

import re
from datetime import datetime

import pymongo
import pytest
import requests

from services.nomination.domain.ballots import tally
from tests.e2e.test_nomination_support import (
    ballot_session,
    close,
    make_cadre,
    make_post,
    make_unit,
    ok,
    open_selection,
    principals,
    problem,
    to_recommendation,
)
from tests.harness import Suite, client

TRACKER = re.compile(r"^[0-9a-f]{32}$")
BOARD_ROLES = ("org", "committee", "superior", "auditor")


@pytest.fixture(scope="module")
def suite():
    running = Suite().start()
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture(scope="module")
def api(suite):
    return principals(suite.api)


def session_for(api, electorate, *, seats=1, candidates=2):
    unit = make_unit(api)
    post = make_post(api, unit)
    cadres = [make_cadre(api, unit, name=f"Candidate {n}") for n in range(candidates)]
    sel = ok(open_selection(api, post), 201)["id"]
    to_recommendation(api, sel, [unit])
    return ballot_session(api, sel, cadres, electorate=electorate, seats=seats), cadres


def cast(suite, voter, token, choices, **headers):
    return voter.post(
        suite.base + "/api/v1/ballots", json={"token": token, "choices": choices}, headers=headers, timeout=30
    )


def test_a_whole_meeting_votes_from_one_address_and_the_board_recounts_to_the_close(suite, api):
    session, cadres = session_for(api, 60, seats=1, candidates=3)
    voter = client("127.0.0.21")
    trackers, cast_choices = [], []
    for n, token in enumerate(session["tokens"]):
        choices = [cadres[n % 3]] if n % 10 else [cadres[0], cadres[1]]  # every tenth over-marked: invalid
        answer = ok(cast(suite, voter, token, choices), 201)
        assert answer["accepted"] is True and TRACKER.match(answer["tracker"]), answer
        trackers.append(answer["tracker"])
        cast_choices.append(choices)
    assert len(set(trackers)) == 60
    board_url = f"/api/v1/ballot-sessions/{session['id']}/board"
    # before the close: a receipt says "not counted yet", the board does not exist yet
    assert ok(api.get(f"/api/v1/ballots/{trackers[0]}")) == {"session": session["id"], "counted": False}
    problem(api.get(board_url, as_="org"), 409, "wrong_stage")

    result = ok(close(api, session["id"]))
    assert result["cast"] == 60
    for role in BOARD_ROLES:
        board = ok(api.get(board_url, as_=role))
    assert board["session"] == session["id"]
    assert board["candidates"] == [{"code": c, "name": f"Candidate {n}"} for n, c in enumerate(cadres)]
    assert board["trackers"] == sorted(trackers)
    assert len(board["trackers"]) == len(board["ballots"]) == result["cast"]
    listed = [b["choices"] for b in board["ballots"]]
    assert listed == sorted(listed) and sorted(listed) == sorted(sorted(c) for c in cast_choices)
    # the recount anyone can do from the board gives exactly the published results
    recount = tally(listed, candidates=cadres, seats=1, electorate=60)
    assert [{"cadre": c, "votes": v} for c, v in recount.results] == board["results"] == result["results"]
    assert sum(b["valid"] for b in board["ballots"]) == result["valid"] == 54
    for tracker in trackers:
        assert ok(api.get(f"/api/v1/ballots/{tracker}")) == {"session": session["id"], "counted": True}


def test_the_board_is_for_its_roles_only(suite, api):
    board = "/api/v1/ballot-sessions/no-such-session/board"
    assert api.get(board).status_code == 401
    for role in ("discipline", "officer", "petition"):
        assert api.get(board, as_=role).status_code == 403
    problem(api.get(board, as_="auditor"), 404, "not_found")


def test_receipts_of_unknown_or_malformed_trackers(suite, api):
    problem(api.get("/api/v1/ballots/" + "0" * 32), 404, "not_found")
    body = problem(api.get("/api/v1/ballots/NOT-A-TRACKER"), 400, "invalid")
    assert "tracker" in body["errors"]


def test_forged_tokens_are_limited_after_twenty_refusals_and_valid_ones_still_pass(suite, api):
    session, cadres = session_for(api, 3)
    forger = client("127.0.0.22")
    answers = [cast(suite, forger, f"{session['id']}.forged-{n}", [cadres[0]]) for n in range(20)]
    assert [r.status_code for r in answers] == [403] * 20
    limited = cast(suite, forger, f"{session['id']}.forged-more", [cadres[0]])
    problem(limited, 429, "rate_limited")
    assert limited.headers["Retry-After"].isdigit() and int(limited.headers["Retry-After"]) >= 1
    # only refused ballots count: a valid, unused token from the same address is never refused for rate
    first = ok(cast(suite, forger, session["tokens"][0], [cadres[0]]), 201)
    assert TRACKER.match(first["tracker"])
    # a refused one (here: the token just used) is still limited
    problem(cast(suite, forger, session["tokens"][0], [cadres[0]]), 429, "rate_limited")
    # asking the ballot page's question with forged tokens counts the same way
    problem(forger.post(suite.base + "/api/v1/ballot-forms", json={"token": "forged"}, timeout=30), 429, "rate_limited")
    # another address is not affected
    problem(cast(suite, client("127.0.0.24"), f"{session['id']}.forged", [cadres[0]]), 403, "invalid_token")


def test_x_forwarded_for_is_ignored_by_default(suite, api):
    dodger = client("127.0.0.23")
    statuses = [
        cast(suite, dodger, f"nosuch.forged-{n}", [], **{"X-Forwarded-For": f"198.51.100.{n}"}).status_code
        for n in range(25)
    ]
    assert statuses[:20] == [403] * 20 and set(statuses[20:]) == {429}, statuses


def test_no_hsts_when_no_proxy_is_trusted(suite, api):
    r = requests.get(suite.base + "/api/v1/notices", headers={"X-Forwarded-Proto": "https"}, timeout=30)
    assert r.status_code == 200 and "Strict-Transport-Security" not in r.headers
    page = requests.get(suite.base + "/web/ballot", headers={"X-Forwarded-Proto": "https"}, timeout=30)
    assert "Strict-Transport-Security" not in page.headers
    assert "secure" not in page.headers.get("Set-Cookie", "").lower()


def test_the_ballot_form_shows_names_and_seats_and_nothing_else(suite, api):
    session, cadres = session_for(api, 3, seats=2, candidates=2)
    voter = client("127.0.0.25")
    form = ok(voter.post(suite.base + "/api/v1/ballot-forms", json={"token": session["tokens"][0]}, timeout=30))
    assert form == {
        "session": session["id"],
        "seats": 2,
        "candidates": [{"code": cadres[0], "name": "Candidate 0"}, {"code": cadres[1], "name": "Candidate 1"}],
    }
    problem(voter.post(suite.base + "/api/v1/ballot-forms", json={"token": "forged"}, timeout=30), 403, "invalid_token")
    ok(cast(suite, voter, session["tokens"][0], [cadres[0]]), 201)
    problem(
        voter.post(suite.base + "/api/v1/ballot-forms", json={"token": session["tokens"][0]}, timeout=30),
        409,
        "token_used",
    )
    problem(voter.post(suite.base + "/api/v1/ballot-forms", json={}, timeout=30), 400, "invalid")


def _strings(value):
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from _strings(item)


def _has_time(value):
    if isinstance(value, datetime):
        return True
    if isinstance(value, dict):
        return any(_has_time(v) for v in value.values())
    if isinstance(value, (list, tuple)):
        return any(_has_time(v) for v in value)
    return False


def test_an_insider_reading_the_database_cannot_link_a_tracker(suite, api):
    """The database operator's attack: read every document of the nomination database and look for a
    tracker stored beside a token hash, a ballot's choices or a time, or trackers kept in casting order."""
    session, cadres = session_for(api, 12, seats=1, candidates=2)
    voter = client("127.0.0.26")
    trackers = [
        ok(cast(suite, voter, token, [cadres[n % 2]]), 201)["tracker"] for n, token in enumerate(session["tokens"][:10])
    ]
    database = pymongo.MongoClient(f"mongodb://127.0.0.1:{suite.ports['MONGODB_PORT']}/")["nomination"]

    def attack():
        holding = 0
        for name in database.list_collection_names():
            for document in database[name].find():
                strings = list(_strings(document))
                mine = [s for s in strings if s in trackers]
                if not mine:
                    continue
                holding += 1
                others = [s for s in strings if s not in trackers]
                assert not any(re.fullmatch(r"[0-9a-f]{64}", s) for s in others), (name, document)  # token hashes
                assert not any(c in s for s in others for c in cadres), (name, document)  # choices
                assert not _has_time(document), (name, document)  # a cast time
                # stored in an order of their own, never the order they were cast in
                assert mine == sorted(mine), (name, document)
        return holding

    assert attack() >= 1  # the trackers are stored somewhere (the board lists them)
    ok(close(api, session["id"]))
    assert attack() >= 1
    board = ok(api.get(f"/api/v1/ballot-sessions/{session['id']}/board", as_="auditor"))
    assert set(trackers) <= set(board["trackers"]) and len(board["trackers"]) == 10


def test_a_log_reader_finds_no_token_nor_tracker(suite, api):
    """The log reader's attack: the tracker now travels inside the cast request, beside the token. Cast,
    repeat a cast (a refusal, where more gets logged), then search every line every process wrote."""
    session, cadres = session_for(api, 3, seats=1, candidates=2)
    voter = client("127.0.0.27")
    trackers = [ok(cast(suite, voter, token, [cadres[0]]), 201)["tracker"] for token in session["tokens"][:2]]
    problem(cast(suite, voter, session["tokens"][0], [cadres[1]]), 409, "token_used")
    lines = suite.log_path.read_text(errors="replace").splitlines()
    assert lines
    secrets_ = set(trackers) | set(session["tokens"])
    assert [line for line in lines if any(s in line for s in secrets_)] == []
