"""Nomination through the gateway: imports, selections and their stages, headcount, secret ballots,
the nomination disciplines, deliberation, inspection and ranking (API.md "Nomination").

Its own suite: ballots are a public rate-limited endpoint, and the 50-client race on one token
must not be throttled (49 refused ballots from one address), so PUBLIC_RATE_PER_SECOND / PUBLIC_RATE_BURST
and BALLOT_REFUSALS_PER_MINUTE are raised here.
"""

import re
import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from tests.e2e.test_nomination_support import (
    ballot_session,
    cast,
    close,
    code,
    consult,
    deliberation,
    inspect,
    make_cadre,
    make_post,
    make_unit,
    nominate,
    ok,
    open_selection,
    principals,
    problem,
    qualify,
    stage,
    to_inspection,
    to_recommendation,
    voted_session,
)
from tests.harness import Suite, eventually


@pytest.fixture(scope="module")
def suite():
    running = Suite(PUBLIC_RATE_PER_SECOND=1000, PUBLIC_RATE_BURST=1000, BALLOT_REFUSALS_PER_MINUTE=1000).start()
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture(scope="module")
def api(suite):
    return principals(suite.api)


def world(api, *, rank="section", category="promotion", headcount=2, cadres=2, cadre_rank="deputy_section"):
    unit = make_unit(api)
    post = make_post(api, unit, rank=rank, category=category, headcount=headcount)
    return unit, post, [make_cadre(api, unit, rank=cadre_rank) for _ in range(cadres)]


# --- imports -------------------------------------------------------------------------------------


def test_csv_import_keeps_good_rows_and_reports_bad_ones(api):
    unit = make_unit(api)
    p1, p2, p3 = code("P"), code("P"), code("P")
    text = (
        "code,unit,title,rank,category,headcount\n"
        f"{p1},{unit},Head,section,promotion,2\n"
        f"{p2},{unit},Head,general,promotion,2\n"
        f"{p3},no-such-unit,Head,section,promotion,1\n"
        f"{p1},{unit},Again,section,promotion,1\n"
    )
    body = ok(
        api.request("POST", "/api/v1/posts/import", as_="org", data=text.encode(), headers={"Content-Type": "text/csv"})
    )
    assert body["imported"] == 1
    assert [(r["row"], sorted(r["errors"])) for r in body["rejected"]] == [(2, ["rank"]), (3, ["unit"]), (4, ["code"])]
    assert ok(api.get(f"/api/v1/posts/{p1}", as_="org"))["vacancies"] == 2

    c1, c2 = code("C"), code("C")
    text = f"code,name,unit,rank,grassroots_years\n{c1},Wang Fang,{unit},clerk,3\n{c2},Zhao Lei,{unit},clerk,many\n"
    body = ok(
        api.request(
            "POST", "/api/v1/cadres/import", as_="org", data=text.encode(), headers={"Content-Type": "text/csv"}
        )
    )
    assert body["imported"] == 1 and body["rejected"][0]["row"] == 2
    # the same file again: every row already exists
    again = ok(
        api.request(
            "POST", "/api/v1/cadres/import", as_="org", data=text.encode(), headers={"Content-Type": "text/csv"}
        )
    )
    assert again["imported"] == 0 and {r["row"] for r in again["rejected"]} == {1, 2}


def test_csv_with_a_wrong_header_is_400(api):
    r = api.request(
        "POST", "/api/v1/cadres/import", as_="org", data=b"code,name\nx,y\n", headers={"Content-Type": "text/csv"}
    )
    problem(r, 400, "invalid")


# --- selections and headcount ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "category,mode",
    [
        ("key_leadership", "plenary_recommendation"),
        ("promotion", "democratic_recommendation"),
        ("lateral_transfer", "org_recommendation"),
        ("public_selection", "public_selection"),
    ],
)
def test_selection_mode_comes_from_the_post_category(api, category, mode):
    unit, post, _ = world(api, category=category, cadres=0)
    body = ok(open_selection(api, post, vacancies=1, competitive=True), 201)
    assert body == {
        "id": body["id"],
        "post": post,
        "mode": mode,
        "competitive": True,
        "slate_ratio": 2,
        "stage": "motion",
        "vacancies": 1,
    }
    assert ok(open_selection(api, post, vacancies=1, competitive=False), 201)["slate_ratio"] == 1


def test_vacancies_are_reserved_and_over_headcount_is_422(api):
    unit, post, _ = world(api, headcount=3, cadres=0)
    ok(open_selection(api, post, vacancies=2), 201)
    assert ok(api.get(f"/api/v1/posts/{post}", as_="org"))["reserved"] == 2
    problem(open_selection(api, post, vacancies=2), 422, "over_headcount")
    ok(open_selection(api, post, vacancies=1), 201)
    books = ok(api.get(f"/api/v1/posts/{post}", as_="org"))
    assert (books["occupied"], books["reserved"], books["vacancies"]) == (0, 3, 0)
    problem(open_selection(api, post, vacancies=1), 422, "over_headcount")


def test_concurrent_selections_never_promise_the_same_seat(api):
    unit, post, _ = world(api, headcount=3, cadres=0)
    barrier = threading.Barrier(12)

    def attempt(_):
        barrier.wait()
        return open_selection(api_for_thread(api), post, vacancies=1).status_code

    with ThreadPoolExecutor(12) as pool:
        codes = Counter(pool.map(attempt, range(12)))
    assert codes == {201: 3, 422: 9}
    books = ok(api.get(f"/api/v1/posts/{post}", as_="org"))
    assert books["reserved"] == 3 and books["vacancies"] == 0


def api_for_thread(api):
    """requests.Session is not thread-safe: a shallow copy with its own session."""
    clone = type(api).__new__(type(api))
    clone.__dict__.update(api.__dict__)
    clone.session = requests.Session()
    return clone


def test_unknown_post_or_bad_body_is_400_and_unknown_selection_404(api):
    problem(open_selection(api, "no-such-post"), 400, "invalid")
    r = api.post("/api/v1/selections", {"post": "x", "vacancies": 0, "competitive": "yes", "motion": {}}, as_="org")
    assert set(problem(r, 400, "invalid")["errors"]) >= {"vacancies", "competitive", "motion"}
    problem(api.get("/api/v1/selections/nope", as_="org"), 404, "not_found")


# --- stages ----------------------------------------------------------------------------------------


def test_stages_history_and_out_of_order_or_wrong_stage(api):
    unit, post, cadres = world(api)
    sel = ok(open_selection(api, post), 201)["id"]
    # a later stage's call: 422 out_of_order
    problem(consult(api, sel, "grassroots"), 422, "out_of_order")
    problem(api.post(f"/api/v1/selections/{sel}/deliberation", deliberation(cadres), as_="org"), 422, "out_of_order")
    problem(api.post(f"/api/v1/selections/{sel}/appointment", as_="org"), 422, "out_of_order")
    ok(qualify(api, sel, [unit]))
    # an earlier stage's call: 409 wrong_stage
    problem(qualify(api, sel, [unit]), 409, "wrong_stage")
    body = ok(consult(api, sel, "leader_in_charge"))
    assert body["stage"] == "consultation"
    # hearing the same source again does not advance
    assert ok(consult(api, sel, "leader_in_charge"))["stage"] == "consultation"
    assert ok(consult(api, sel, "grassroots"))["stage"] == "recommendation"
    problem(consult(api, sel, "grassroots"), 409, "wrong_stage")
    detail = ok(api.get(f"/api/v1/selections/{sel}", as_="org"))
    assert [(h["previous"], h["stage"]) for h in detail["history"]] == [
        ("motion", "qualification"),
        ("qualification", "consultation"),
        ("consultation", "recommendation"),
    ]
    assert all(h["at"] for h in detail["history"])
    assert detail["qualification"]["scope"] == [unit]


def test_qualification_with_unknown_unit_is_400(api):
    unit, post, _ = world(api, cadres=0)
    sel = ok(open_selection(api, post), 201)["id"]
    assert "scope" in problem(qualify(api, sel, ["no-such-unit"]), 400, "invalid")["errors"]


# --- secret ballots ---------------------------------------------------------------------------------


def test_ballot_tokens_once_unknown_closed_and_the_tally(api):
    unit, post, cadres = world(api, cadres=3)
    sel = ok(open_selection(api, post), 201)["id"]
    to_recommendation(api, sel, [unit])
    session = ballot_session(api, sel, cadres, electorate=6, seats=1)
    tokens = session["tokens"]
    assert len(tokens) == len(set(tokens)) == 6
    answer = ok(cast(api, tokens[0], [cadres[0]]), 201)
    assert answer["accepted"] is True and re.fullmatch(r"[0-9a-f]{32}", answer["tracker"]), answer
    problem(cast(api, tokens[0], [cadres[0]]), 409, "token_used")
    problem(cast(api, "not-a-token", [cadres[0]]), 403, "invalid_token")
    ok(cast(api, tokens[1], [cadres[0]]), 201)
    ok(cast(api, tokens[2], [cadres[1]]), 201)
    ok(cast(api, tokens[3], [cadres[0], cadres[1]]), 201)  # over-marked: cast, invalid
    ok(cast(api, tokens[4], ["somebody-else"]), 201)  # not on the list: cast, invalid
    tally = ok(close(api, session["id"]))
    assert tally == {
        "cast": 5,
        "valid": 3,
        "invalid": 2,
        "turnout": 5 / 6,
        "quorum_met": True,
        "results": [
            {"cadre": cadres[0], "votes": 2},
            {"cadre": cadres[1], "votes": 1},
            {"cadre": cadres[2], "votes": 0},
        ],
    }
    problem(cast(api, tokens[5], [cadres[0]]), 409, "session_closed")
    problem(close(api, session["id"]), 409, "session_closed")
    problem(close(api, "no-such-session"), 404, "not_found")


def test_fifty_clients_racing_one_token_cast_exactly_once(api, suite):
    unit, post, cadres = world(api, cadres=1)
    sel = ok(open_selection(api, post), 201)["id"]
    to_recommendation(api, sel, [unit])
    session = ballot_session(api, sel, cadres, electorate=3)
    token = session["tokens"][0]
    barrier = threading.Barrier(50)

    def race(_):
        http = requests.Session()
        barrier.wait()
        r = http.post(suite.base + "/api/v1/ballots", json={"token": token, "choices": cadres}, timeout=60)
        return r.status_code, r.json().get("code")

    with ThreadPoolExecutor(50) as pool:
        answers = Counter(pool.map(race, range(50)))
    assert answers == {(201, None): 1, (409, "token_used"): 49}
    assert ok(close(api, session["id"]))["cast"] == 1


def test_a_session_without_quorum_is_void_and_no_basis(api):
    unit, post, cadres = world(api, cadres=1)
    sel = ok(open_selection(api, post), 201)["id"]
    to_recommendation(api, sel, [unit])
    session = ballot_session(api, sel, cadres, electorate=3)
    ok(cast(api, session["tokens"][0], cadres), 201)
    tally = ok(close(api, session["id"]))
    assert tally["quorum_met"] is False and tally["cast"] == 1
    problem(nominate(api, sel, cadres[0], {"ballot_session": session["id"]}), 422, "no_basis")
    # two of three is exactly two thirds: quorate
    session = ballot_session(api, sel, cadres, electorate=3)
    for token in session["tokens"][:2]:
        ok(cast(api, token, cadres), 201)
    assert ok(close(api, session["id"]))["quorum_met"] is True
    ok(nominate(api, sel, cadres[0], {"ballot_session": session["id"]}), 201)


def test_ballot_session_before_recommendation_is_out_of_order(api):
    unit, post, cadres = world(api, cadres=1)
    sel = ok(open_selection(api, post), 201)["id"]
    r = api.post(
        f"/api/v1/selections/{sel}/ballot-sessions",
        {"kind": "democratic", "electorate": 3, "seats": 1, "candidates": cadres},
        as_="org",
    )
    problem(r, 422, "out_of_order")


# --- nominations: the disciplines, in API.md's order ------------------------------------------------


def test_nomination_disciplines_each_with_its_code(api):
    unit = make_unit(api)
    other_unit = make_unit(api)
    post = make_post(api, unit, rank="section", category="promotion")
    good = make_cadre(api, unit, rank="deputy_section", years=5)
    same_rank = make_cadre(api, unit, rank="section", years=5)
    outside = make_cadre(api, other_unit, rank="deputy_section", years=5)
    junior = make_cadre(api, unit, rank="deputy_section", years=1)
    unvoted = make_cadre(api, unit, rank="deputy_section", years=5)
    sel = ok(open_selection(api, post, proposed_by="Secretary Li"), 201)["id"]
    problem(nominate(api, sel, good, {"ballot_session": "x"}), 422, "out_of_order")
    to_recommendation(api, sel, [unit])
    session = voted_session(api, sel, [good, same_rank, outside, junior])
    basis = {"ballot_session": session}

    problem(nominate(api, sel, outside, basis), 422, "not_eligible")  # outside the scope
    problem(nominate(api, sel, junior, basis), 422, "not_eligible")  # too few grassroots years
    problem(nominate(api, sel, same_rank, basis), 422, "over_rank")  # promotion: exactly one up
    problem(nominate(api, sel, good, basis, reported=False), 422, "concealment")
    problem(
        nominate(api, sel, good, basis, relations=[{"person": "Uncle", "kind": "canvassing"}]),
        422,
        "non_organizational_activity",
    )
    problem(
        nominate(api, sel, good, basis, relations=[{"person": "Secretary Li", "kind": "kin"}]),
        422,
        "non_organizational_activity",
    )
    problem(nominate(api, sel, unvoted, basis), 422, "no_basis")  # no votes in the session
    problem(nominate(api, sel, good, {"resolution": "R-1"}), 422, "no_basis")  # wrong basis for the mode
    problem(nominate(api, sel, good, {}), 422, "no_basis")
    # several failures at once: the first in API.md's order is the answer
    problem(nominate(api, sel, same_rank, {}, reported=False), 422, "over_rank")
    problem(
        nominate(api, sel, good, {}, reported=False, relations=[{"person": "x", "kind": "canvassing"}]),
        422,
        "concealment",
    )

    made = ok(nominate(api, sel, good, basis, relations=[{"person": "Cousin", "kind": "kin"}]), 201)
    assert made["cadre"] == good and made["basis"] == basis
    problem(nominate(api, sel, good, basis), 409, "exists")
    nominees = ok(api.get(f"/api/v1/selections/{sel}", as_="org"))["nominees"]
    assert [(n["cadre"], n["status"]) for n in nominees] == [(good, "nominated")]
    assert nominees[0]["name"] == f"Name {good}"  # the console reads the nominee by name


def test_lateral_and_key_leadership_rank_rules(api):
    unit = make_unit(api)
    lateral = make_post(api, unit, rank="deputy_section", category="lateral_transfer")
    same = make_cadre(api, unit, rank="deputy_section")
    lower = make_cadre(api, unit, rank="clerk")
    sel = ok(open_selection(api, lateral), 201)["id"]
    to_recommendation(api, sel, [unit])
    problem(nominate(api, sel, lower, {"resolution": "R-9"}), 422, "over_rank")
    ok(nominate(api, sel, same, {"resolution": "R-9"}), 201)

    key = make_post(api, unit, rank="section", category="key_leadership")
    clerk = make_cadre(api, unit, rank="clerk")
    deputy = make_cadre(api, unit, rank="deputy_section")
    sel = ok(open_selection(api, key), 201)["id"]
    to_recommendation(api, sel, [unit])
    democratic = voted_session(api, sel, [clerk, deputy], kind="democratic")
    plenary = voted_session(api, sel, [clerk, deputy], kind="plenary")
    problem(nominate(api, sel, clerk, {"ballot_session": plenary}), 422, "over_rank")
    problem(nominate(api, sel, deputy, {"ballot_session": democratic}), 422, "no_basis")  # plenary mode
    ok(nominate(api, sel, deputy, {"ballot_session": plenary}), 201)


# --- deliberation, inspection, ranking -----------------------------------------------------------------


def test_deliberation_slate_ratio_and_quorum(api):
    unit, post, cadres = world(api, cadres=2)
    sel = ok(open_selection(api, post, competitive=True), 201)["id"]
    to_recommendation(api, sel, [unit])
    basis = {"ballot_session": voted_session(api, sel, cadres)}
    ok(nominate(api, sel, cadres[0], basis), 201)
    path = f"/api/v1/selections/{sel}/deliberation"
    problem(api.post(path, deliberation(cadres[:1]), as_="org"), 422, "slate_ratio")
    # a cadre not nominated in this selection is a bad body
    problem(api.post(path, deliberation(cadres), as_="org"), 400, "invalid")
    ok(nominate(api, sel, cadres[1], basis), 201)
    problem(api.post(path, deliberation(cadres, attendees=9, present=5), as_="org"), 422, "quorum_not_met")
    body = ok(api.post(path, deliberation(cadres, attendees=9, present=6), as_="org"))
    assert body["stage"] == "inspection"
    assert {n["status"] for n in body["nominees"]} == {"shortlisted"}
    problem(api.post(path, deliberation(cadres), as_="org"), 409, "wrong_stage")


def test_a_session_left_open_takes_no_ballot_once_the_selection_moved_on(api):
    unit, post, cadres = world(api, cadres=2)
    sel = ok(open_selection(api, post, competitive=True), 201)["id"]
    to_recommendation(api, sel, [unit])
    basis = {"ballot_session": voted_session(api, sel, cadres)}
    left_open = ballot_session(api, sel, cadres, electorate=3)
    ok(cast(api, left_open["tokens"][0], cadres[:1]), 201)  # the service now knows the session's selection
    for cadre in cadres:
        ok(nominate(api, sel, cadre, basis), 201)
    ok(api.post(f"/api/v1/selections/{sel}/deliberation", deliberation(cadres, attendees=9, present=6), as_="org"))
    problem(cast(api, left_open["tokens"][1], cadres[:1]), 409, "wrong_stage")


def test_inspection_needs_one_report_per_nominee_then_ranking(api):
    w = to_inspection(api, nominees=2, competitive=True)
    sel, cadres = w["selection"], w["cadres"]
    problem(inspect(api, sel, cadres[:1]), 400, "invalid")
    problem(
        api.post(f"/api/v1/selections/{sel}/decision", {"meeting": {}, "appointees": cadres}, as_="committee"),
        400,
        "invalid",
    )
    r = api.post(
        f"/api/v1/selections/{sel}/inspection",
        {
            "reports": [
                {"cadre": cadres[0], "summary": "strong", "rating": 90},
                {"cadre": cadres[1], "summary": "steady", "rating": 60},
            ]
        },
        as_="org",
    )
    assert ok(r)["stage"] == "joint_review"
    ranking = ok(api.get(f"/api/v1/selections/{sel}/ranking", as_="org"))
    assert ranking["weights"] == {
        "integrity_ability": 0.25,
        "performance": 0.25,
        "public_opinion": 0.25,
        "grassroots": 0.25,
    }
    first, second = ranking["items"]
    assert (first["cadre"], first["rank"], second["rank"]) == (cadres[0], 1, 2)
    assert first["components"]["integrity_ability"] == 90 and second["components"]["integrity_ability"] == 60
    assert set(first["components"]) == {"integrity_ability", "performance", "public_opinion", "grassroots"}
    assert first["components"]["public_opinion"] == 50.0 and first["components"]["grassroots"] == 50.0
    assert first["composite"] > second["composite"]


def test_ranking_uses_the_selection_weights(api):
    unit, post, cadres = world(api, cadres=0)
    weights = {"integrity_ability": 0.4, "performance": 0.2, "public_opinion": 0.2, "grassroots": 0.2}
    r = api.post(
        "/api/v1/selections",
        {
            "post": post,
            "vacancies": 1,
            "competitive": False,
            "weights": weights,
            "motion": {"proposed_by": "A", "reason": "b"},
        },
        as_="org",
    )
    sel = ok(r, 201)["id"]
    assert ok(api.get(f"/api/v1/selections/{sel}/ranking", as_="org"))["weights"] == weights
    bad = dict(weights, grassroots=0.5)
    r = api.post(
        "/api/v1/selections",
        {
            "post": post,
            "vacancies": 1,
            "competitive": False,
            "weights": bad,
            "motion": {"proposed_by": "A", "reason": "b"},
        },
        as_="org",
    )
    problem(r, 400, "invalid")


# --- events and metrics ------------------------------------------------------------------------------


def test_stage_changes_reach_the_records_and_metrics_count(api, suite):
    unit, post, cadres = world(api, cadres=1)
    sel = ok(open_selection(api, post), 201)["id"]
    ok(qualify(api, sel, [unit]))
    problem(qualify(api, sel, [unit]), 409, "wrong_stage")
    problem(open_selection(api, post, vacancies=99), 422, "over_headcount")

    def recorded():
        r = api.get(f"/api/v1/records?subject=selection:{sel}", as_="org")
        if r.status_code != 200:
            return False
        stages_ = [e["stage"] for e in r.json()["items"]]
        return "qualification" in stages_ and "motion" in stages_

    eventually(recorded, timeout=30)
    port = suite.ports["NOMINATION_METRICS_PORT"]

    def metrics():
        text = requests.get(f"http://127.0.0.1:{port}/metrics", timeout=10).text
        return (
            'cadre_nomination_discipline_violations_total{code="over_headcount"}' in text
            and 'cadre_nomination_selections{stage="qualification"}' in text
            and "cadre_nomination_ballots_cast_total" in text
        ) and text

    text = eventually(metrics, timeout=20)
    assert sel not in text and post not in text  # no ids as labels


def test_selection_detail_and_stage(api):
    w = to_inspection(api, nominees=1)
    assert stage(api, w["selection"]) == "inspection"
