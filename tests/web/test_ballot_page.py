"""The ballot page on a phone: a token opens the candidates by name to tick (at most the seats), the voter
gets a tracker and checks it; the console's ballot board recounts the listed ballots; both languages."""

import re

from selenium.webdriver.common.by import By

from tests.e2e.test_nomination_support import (
    ballot_session,
    close,
    make_cadre,
    make_post,
    make_unit,
    ok,
    open_selection,
    to_recommendation,
)

PHONE = (390, 844)


def ballot_world(api, *, electorate=3, seats=2, names=("王小明", "李华", "张伟")):
    unit = make_unit(api)
    post = make_post(api, unit)
    cadres = [make_cadre(api, unit, name=name) for name in names]
    sel = ok(open_selection(api, post), 201)["id"]
    to_recommendation(api, sel, [unit])
    return sel, ballot_session(api, sel, cadres, electorate=electorate, seats=seats), cadres


def test_a_voter_ticks_names_on_a_phone_gets_a_tracker_and_checks_it(api, web):
    sel, session, cadres = ballot_world(api)
    web.driver.set_window_size(*PHONE)
    try:
        web.open("/web/ballot", shot="ballot_token_phone_zh")
        assert "width=device-width" in web.find("meta[name=viewport]").get_attribute("content")
        web.submit(web.find("#token-form"), {"token": session["tokens"][0]}, shot="ballot_choose_phone_zh")
        form = web.find("#ballot-form")
        labels = web.all("label.choice", form)
        assert [label.text for label in labels] == ["王小明", "李华", "张伟"]  # names, not codes
        assert "最多 2 名" in web.text("#seats")
        assert all(label.size["height"] >= 44 for label in labels)  # a thumb's target
        # three ticked where two seats: the page says so and casts nothing
        for label in labels:
            label.click()
        web.submit(form, shot="ballot_too_many_phone_zh")
        assert web.outcome()[0] == "too_many"
        boxes = web.all("#ballot-form input[name=choice]")
        assert [b.is_selected() for b in boxes] == [True, True, True]  # what was ticked stays ticked
        boxes[2].click()
        web.submit(web.find("#ballot-form"), shot="ballot_cast_phone_zh")
        assert web.outcome()[0] == "ok"
        tracker = web.text("#tracker")
        assert re.fullmatch(r"[0-9a-f]{32}", tracker)
        web.find("#check-link").click()
        web.wait_ready()
        web.shot("ballot_check_open_phone_zh")
        assert web.outcome()[0] == "not_counted_yet"
        ok(close(api, session["id"]))
        web.open(f"/web/ballot/check?tracker={tracker}&lang=en", shot="ballot_check_counted_phone_en")
        assert web.outcome()[0] == "counted" and "Counted" in web.text("#outcome")
        web.open("/web/ballot/check?tracker=" + "0" * 32)
        assert web.outcome()[0] == "not_found"
    finally:
        web.driver.set_window_size(1280, 1600)
    board = ok(api.get(f"/api/v1/ballot-sessions/{session['id']}/board", as_="org"))
    assert board["trackers"] == [tracker] and board["ballots"] == [{"choices": sorted(cadres[:2]), "valid": True}]


def test_the_ballot_page_in_english_refuses_a_used_or_unknown_token_clearly(api, web):
    sel, session, cadres = ballot_world(api, seats=1, names=("Wang Xiaoming", "Li Hua"))
    token = session["tokens"][0]
    ok(api.post("/api/v1/ballots", {"token": token, "choices": [cadres[0]]}), 201)
    web.open("/web/ballot?lang=en")
    web.submit(web.find("#token-form"), {"token": token}, shot="ballot_used_en")
    assert web.outcome()[0] == "token_used"
    assert web.find("#outcome").text.startswith("Refused")
    web.submit(web.find("#token-form"), {"token": "forged-token"})
    assert web.outcome()[0] == "invalid_token"
    web.submit(web.find("#token-form"), {"token": session["tokens"][1]}, shot="ballot_choose_en")
    assert "at most 1" in web.text("#seats")
    assert [label.text for label in web.all("label.choice")] == ["Wang Xiaoming", "Li Hua"]


def test_the_console_board_recounts_to_the_published_results(api, web):
    sel, session, cadres = ballot_world(api, electorate=3, seats=1)
    for token, choice in zip(session["tokens"], [[cadres[0]], [cadres[0]], [cadres[1], cadres[2]]]):
        ok(api.post("/api/v1/ballots", {"token": token, "choices": choice}), 201)
    ok(close(api, session["id"]))
    web.sign_in(api.tokens["org"])
    web.open(f"/web/console/selections/{sel}")
    web.find("#ballot-sessions a.board-link").click()
    web.wait_ready()
    web.shot("ballot_board_zh")
    assert web.find("#recount").get_attribute("data-equal") == "true"
    assert "一致" in web.text("#recount")
    assert len(web.all("#board-ballots tr")) == 3
    assert len(web.all("#board-trackers code")) == 3
    rows = [
        [cell.text for cell in row.find_elements(By.CSS_SELECTOR, "td")] for row in web.all("#recount-table tbody tr")
    ]
    assert rows[0] == [f"王小明 ({cadres[0]})", "2", "2"]  # people by name, next to their codes
    ballots = sorted(row.find_element(By.CSS_SELECTOR, "td").text for row in web.all("#board-ballots tr"))
    named = dict(zip(cadres, ("王小明", "李华", "张伟")))
    over_marked = " ".join(f"{named[c]} ({c})" for c in sorted(cadres[1:]))  # a ballot is its sorted choices
    assert ballots == sorted([f"王小明 ({cadres[0]})"] * 2 + [over_marked]), ballots
    web.sign_out()
    # a role without the board is refused by the API's own table
    web.sign_in(api.tokens["discipline"])
    web.open(f"/web/console/ballot-board?session={session['id']}")
    assert web.outcome()[0] == "forbidden"
