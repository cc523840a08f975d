"""People and bases in words on the console (gateway/web/readable.py): names next to codes, a basis as the
session's day and turnout, the resolution or the campaign, days in each language; the code alone when unknown."""

from gateway.web import i18n, readable

ZH, EN = i18n.load("zh_CN").gettext, i18n.load("en").gettext
SESSION = "5f0c2a9e4b7d4e1f9a3c8b6d2e7f1a40"
CLOSED = {
    SESSION: {
        "id": SESSION,
        "status": "closed",
        "electorate": 30,
        "cast": 23,
        "opened_at": "2026-05-11T02:00:00Z",
        # 17:30 UTC on the 11th is already the 12th in Beijing
        "closed_at": "2026-05-11T17:30:00Z",
    }
}


def test_a_day_is_written_for_the_language_in_beijing_time():
    assert readable.day("2026-05-11T17:30:00Z", "en") == "12 May 2026"
    assert readable.day("2026-05-11T17:30:00Z", "zh_CN") == "2026年5月12日"
    assert readable.day("2026-05-11T15:59:59Z", "en") == "11 May 2026"


def test_a_day_that_is_not_a_time_is_empty():
    assert readable.day(None, "en") == ""
    assert readable.day("", "en") == ""
    assert readable.day("not a time", "en") == ""


def test_a_cadre_reads_by_name_next_to_the_code_or_by_the_code_alone():
    assert readable.cadre("C-0012", {"C-0012": "张三"}) == "张三 (C-0012)"
    assert readable.cadre("C-0013", {"C-0012": "张三"}) == "C-0013"
    assert readable.cadre("C-0012", None) == "C-0012"
    assert readable.cadre("C-0012", {"C-0012": ""}) == "C-0012"
    assert readable.cadre("C-0012", {"C-0012": "C-0012"}) == "C-0012"  # a name unknown to the service reads as its code


def test_names_are_taken_from_items_that_carry_both_code_and_name():
    people = [
        {"cadre": "C-1", "name": "张三", "status": "nominated"},
        {"cadre": "C-2", "name": None},
        {"code": "C-3", "name": "李四"},
        {"name": "nobody"},
    ]
    assert readable.names_of(people) == {"C-1": "张三", "C-3": "李四"}
    assert readable.names_of(None) == {}


def test_a_closed_ballot_session_reads_by_the_day_it_was_counted_and_its_turnout():
    basis = {"ballot_session": SESSION}
    assert readable.basis(basis, CLOSED, EN, "en") == "ballot session of 12 May 2026, 23 of 30 voted"
    assert readable.basis(basis, CLOSED, ZH, "zh_CN") == "2026年5月12日的推荐投票，30人中23人投票"


def test_a_session_closed_without_its_closing_time_reads_by_its_opening_day():
    session = dict(CLOSED[SESSION], closed_at=None)
    text = readable.basis({"ballot_session": SESSION}, {SESSION: session}, EN, "en")
    assert text == "ballot session of 11 May 2026, 23 of 30 voted"


def test_an_open_session_says_it_is_not_yet_counted():
    session = {"id": SESSION, "status": "open", "electorate": 30, "opened_at": "2026-05-11T02:00:00Z"}
    text = readable.basis({"ballot_session": SESSION}, {SESSION: session}, EN, "en")
    assert text == "ballot session opened 11 May 2026, 30 voters, not yet counted"


def test_a_session_the_record_does_not_describe_reads_by_its_id():
    unknown = f"ballot session {SESSION}"
    assert readable.basis({"ballot_session": SESSION}, {}, EN, "en") == unknown
    assert readable.basis({"ballot_session": SESSION}, None, EN, "en") == unknown
    # what the record says is not enough to put in words: the id, never a half sentence
    partial = {SESSION: {"status": "closed", "electorate": 30, "closed_at": "2026-05-11T17:30:00Z"}}
    assert readable.basis({"ballot_session": SESSION}, partial, EN, "en") == unknown
    opened_only = {SESSION: {"status": "open", "opened_at": "2026-05-11T02:00:00Z"}}
    assert readable.basis({"ballot_session": SESSION}, opened_only, EN, "en") == unknown
    assert readable.basis({"ballot_session": SESSION}, {}, ZH, "zh_CN") == f"推荐投票 {SESSION}"


def test_a_resolution_and_a_campaign_read_by_their_reference():
    assert readable.basis({"resolution": "区委〔2026〕3号"}, None, EN, "en") == "resolution 区委〔2026〕3号"
    assert readable.basis({"resolution": "R-7"}, None, ZH, "zh_CN") == "决议 R-7"
    assert readable.basis({"campaign": "GX-2026"}, None, EN, "en") == "public selection campaign GX-2026"
    titled = readable.basis({"campaign": "GX-2026"}, None, ZH, "zh_CN", {"GX-2026": "2026年公开选拔"})
    assert titled == "公开选拔项目 GX-2026（2026年公开选拔）"
    untitled = readable.basis({"campaign": "GX-2026"}, None, EN, "en", {"OTHER": "x"})
    assert untitled == "public selection campaign GX-2026"


def test_a_basis_of_no_known_kind_reads_as_its_values():
    assert readable.basis({"other": "X-1"}, None, EN, "en") == "X-1"
    assert readable.basis(None, None, EN, "en") == ""
