"""The console shows people and bases as a person reads them: a nominee's name next to the code and a
ballot-session basis as the session's date and turnout ("3 of 4 voted"), never the raw JSON of its id; in
Chinese and in English."""

from tests.e2e.test_nomination_support import (
    ballot_session,
    cast,
    close,
    make_cadre,
    make_post,
    make_unit,
    nominate,
    ok,
    open_selection,
    to_recommendation,
)
from tests.web.browser import until


def nominated_on_a_ballot(api, name):
    """A selection whose one nominee was nominated on a closed ballot session where 3 of 4 voted."""
    unit = make_unit(api)
    post = make_post(api, unit)
    cadre = make_cadre(api, unit, name=name)
    sel = ok(open_selection(api, post), 201)["id"]
    to_recommendation(api, sel, [unit])
    session = ballot_session(api, sel, [cadre], electorate=4, seats=1)
    for token in session["tokens"][:3]:
        ok(cast(api, token, [cadre]), 201)
    assert ok(close(api, session["id"]))["cast"] == 3
    ok(nominate(api, sel, cadre, {"ballot_session": session["id"]}), 201)
    return sel, cadre, session["id"]


def nominees_once_the_record_has_the_session(web, sel, turnout):
    """The nominees table, once the page reads the closed session from the record (it arrives there by event)."""

    def shown():
        text = web.open(f"/web/console/selections/{sel}").text("#nominees")
        return text if turnout in text else None

    return until(shown, timeout=30)


def test_a_nominee_reads_by_name_and_the_ballot_basis_by_its_date_and_turnout_in_both_languages(api, web):
    sel, cadre, session = nominated_on_a_ballot(api, "赵红梅")
    web.sign_in(api.tokens["org"])

    chinese = nominees_once_the_record_has_the_session(web, sel, "4人中3人投票")
    web.shot("selection_nominee_readable_zh")
    assert f"赵红梅 ({cadre})" in chinese
    assert "年" in chinese and "月" in chinese and "日的推荐投票" in chinese
    assert session not in chinese and "ballot_session" not in chinese and "{" not in chinese

    web.open(f"/web/console/selections/{sel}?lang=en")
    english = nominees_once_the_record_has_the_session(web, sel, "3 of 4 voted")
    web.shot("selection_nominee_readable_en")
    assert f"赵红梅 ({cadre})" in english
    assert "ballot session of " in english
    assert session not in english and "ballot_session" not in english and "{" not in english
