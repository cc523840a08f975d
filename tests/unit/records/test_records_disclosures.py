"""Which events become disclosure items, what they say, what the channels send, and the feed's order."""

from datetime import datetime, timedelta, timezone

import pytest

from services.common.errors import Invalid
from services.records.domain.disclosures import (
    SMS_MAX_CHARS,
    channel_message,
    check_feed_cursor,
    disclosure_from_event,
    feed_order,
    policy_items,
    retry_delay_seconds,
)


def env(type, data, subject="selection:S1"):
    return {"id": "e1", "type": type, "subject": subject, "occurred_at": "2030-01-01T00:00:00Z", "data": data}


def test_selection_opened_is_an_announcement():
    item = disclosure_from_event(
        env(
            "selection.opened",
            {"selection": "S1", "post": "P1", "mode": "public_selection", "competitive": True, "vacancies": 2},
        )
    )
    assert item["kind"] == "announcement" and item["key"] == "event:e1" and "P1" in item["title"]
    assert "2 vacancies" in item["summary"] and "公开选拔" in item["summary"]
    assert item["published_at"] == "2030-01-01T00:00:00Z" and item["subject"] == "selection:S1"


def test_notice_opened_keeps_its_title():
    item = disclosure_from_event(
        env(
            "notice.opened",
            {"notice": "N1", "selection": "S1", "title": "公示: Head", "opens_at": "a", "closes_at": "b"},
            subject="notice:N1",
        )
    )
    assert (
        item["kind"] == "notice"
        and item["title"] == "公示: Head"
        and "/api/v1/notices/N1/objections" in item["summary"]
    )


def test_results_keep_only_the_names_of_the_selected_in_rank_order():
    item = disclosure_from_event(
        env(
            "campaign.results_published",
            {
                "campaign": "K1",
                "posts": [
                    {
                        "post": "P1",
                        "seats": 2,
                        "ranking": [
                            {
                                "exam_number": "X2",
                                "name": "B",
                                "rank": 2,
                                "status": "selected",
                                "id_number": "620503199001011234",
                            },
                            {"exam_number": "X1", "name": "A", "rank": 1, "status": "selected"},
                            {"exam_number": "X3", "name": "C", "rank": 3, "status": "not_selected"},
                        ],
                    }
                ],
            },
            subject="campaign:K1",
        )
    )
    assert item["kind"] == "results"
    assert item["details"] == {"campaign": "K1", "posts": [{"post": "P1", "seats": 2, "selected": ["A", "B"]}]}
    text = repr(item)
    assert "X1" not in text and "620503199001011234" not in text and "'C'" not in text


@pytest.mark.parametrize("type", ["selection.stage_changed", "nomination.made", "review.cleared", "unit.created"])
def test_other_events_are_not_disclosed(type):
    assert disclosure_from_event(env(type, {"selection": "S1"})) is None


def test_id_numbers_typed_into_a_notice_title_are_redacted():
    item = disclosure_from_event(env("notice.opened", {"notice": "N1", "title": "re 620503199001011234"}))
    assert "620503199001011234" not in item["title"]


def test_policy_items():
    [item] = policy_items(
        [{"id": "p", "title": "T", "summary": "S", "published_at": "2013-01-01T00:00:00Z", "issuer": "I"}]
    )
    assert item == {
        "key": "policy:p",
        "kind": "policy",
        "title": "T",
        "summary": "S",
        "subject": None,
        "published_at": "2013-01-01T00:00:00Z",
        "details": {"issuer": "I"},
    }


def test_channel_messages():
    item = {"key": "event:e1", "title": "公示 " * 100, "summary": "S"}
    sms = channel_message(item, "sms", ["13800000000"], "https://example.org/")
    assert len(sms["body"]) <= SMS_MAX_CHARS and sms["to"] == ["13800000000"] and sms["id"] == "event:e1"
    email = channel_message(dict(item, title="T"), "email", [], "https://example.org")
    assert (
        email["subject"] == "T" and "https://example.org/api/v1/disclosures" in email["body"] and "S" in email["body"]
    )


def test_retry_delay_grows_and_is_capped():
    assert [retry_delay_seconds(n) for n in (1, 2, 3)] == [1, 2, 4]
    assert retry_delay_seconds(50) == 300


def test_the_feed_order_sorts_as_text_like_time_then_key():
    base = datetime(2031, 5, 5, 10, 0, 0, tzinfo=timezone.utc)
    items = [
        (base + timedelta(milliseconds=ms), key)
        for ms, key in [
            (0, "event:b"),
            (0, "event:a"),
            (1, "event:a"),
            (999, "event:z"),
            (1000, "event:a"),
            (-(10**12), "policy:old"),
        ]
    ]
    orders = [feed_order(at, key) for at, key in items]
    assert sorted(orders) == [feed_order(at, key) for at, key in sorted(items)]
    assert len({len(o.partition("|")[0]) for o in orders}) == 1
    assert feed_order(base.replace(tzinfo=None), "k") == feed_order(base, "k")  # as pymongo reads it back
    assert check_feed_cursor(orders[0]) == orders[0]


@pytest.mark.parametrize(
    "cursor", ["nonsense", "2031-05-05T10:00:00Z|event:a", "123|k", "000001957946400000|", "00000195794640x|k"]
)
def test_a_cursor_the_feed_did_not_give_out_is_refused_naming_cursor(cursor):
    with pytest.raises(Invalid) as refused:
        check_feed_cursor(cursor)
    assert "cursor" in refused.value.errors


# The exact texts the public feed and the channels carry, and each boundary.


def test_an_announcement_reads_in_full_with_the_mode_s_name_and_its_vacancies():
    data = {"selection": "S1", "post": "P1", "mode": "public_selection", "competitive": True, "vacancies": 2}
    item = disclosure_from_event(env("selection.opened", data))
    assert item["title"] == "选拔公告 Selection announcement: post P1"
    assert item["summary"] == (
        "A competitive (差额, 1:2) selection for post P1 has opened with 2 vacancies; "
        "nomination mode: 公开选拔 public selection."
    )
    assert item["details"] == data


def test_an_announcement_of_one_vacancy_by_a_mode_without_a_name_shows_the_mode_as_given():
    item = disclosure_from_event(env("selection.opened", {"post": 5, "mode": "by_lot", "vacancies": 1}))
    assert item["title"] == "选拔公告 Selection announcement: post a post"
    assert item["summary"] == "A selection for post a post has opened with 1 vacancy; nomination mode: by_lot."
    assert item["details"] == {"post": 5, "mode": "by_lot", "vacancies": 1}


@pytest.mark.parametrize("vacancies", [True, "3", None])
def test_an_announcement_counts_vacancies_only_when_they_are_a_whole_number(vacancies):
    item = disclosure_from_event(env("selection.opened", {"post": "P1", "competitive": False, "vacancies": vacancies}))
    assert item["summary"] == "A selection for post P1 has opened."


def test_a_notice_reads_in_full_with_its_period_and_where_to_object():
    data = {"notice": "N1", "selection": "S1", "title": "公示: Head", "opens_at": "a", "closes_at": "b"}
    item = disclosure_from_event(env("notice.opened", data))
    assert (
        item["summary"]
        == "Public notice (公示) from a to b; objections may be lodged at /api/v1/notices/N1/objections."
    )
    assert item["details"] == {"notice": "N1", "selection": "S1", "opens_at": "a", "closes_at": "b"}


def test_a_notice_without_a_whole_period_title_or_id_says_only_that_it_is_one():
    item = disclosure_from_event(env("notice.opened", {"opens_at": "a"}))
    assert (item["title"], item["summary"], item["details"]) == (
        "公示 Public notice",
        "Public notice (公示).",
        {"opens_at": "a"},
    )
    item = disclosure_from_event(env("notice.opened", {"closes_at": "b"}))
    assert item["summary"] == "Public notice (公示)."


def test_results_read_in_full_post_by_post_unranked_candidates_last():
    posts = [
        "not a post",
        {
            "post": "P1",
            "seats": 3,
            "ranking": [
                {"name": "C", "status": "selected"},
                {"name": "B", "rank": 100, "status": "selected"},
                {"name": "A", "rank": 2, "status": "selected"},
            ],
        },
        {"post": "P2", "seats": 1, "ranking": []},
    ]
    item = disclosure_from_event(env("campaign.results_published", {"posts": posts}))
    assert item["title"] == "公开选拔结果 Results of a public selection"
    assert item["summary"] == "Selected candidates — P1: A, B, C; P2: (none)."
    assert item["details"]["posts"][0]["selected"] == ["A", "B", "C"]
    empty = disclosure_from_event(env("campaign.results_published", {"campaign": "K1"}))
    assert (empty["title"], empty["summary"]) == ("公开选拔结果 Results of K1", "Selected candidates — none.")


def test_a_message_links_to_the_feed_on_the_site_or_relatively():
    item = {"key": "event:e1", "title": "T", "summary": None}
    assert channel_message(item, "email", ("a@example.org",)) == {
        "id": "event:e1",
        "channel": "email",
        "to": ["a@example.org"],
        "subject": "T",
        "body": "T\n\n/api/v1/disclosures",
    }
    assert (
        channel_message(item, "website", [], "https://example.org/")["body"]
        == "T\n\nhttps://example.org/api/v1/disclosures"
    )
    # only the slashes at the end are dropped: a site under a path keeps its path
    assert channel_message(item, "website", [], "https://example.org/NX/")["body"].endswith("/NX/api/v1/disclosures")


def test_an_sms_of_exactly_the_limit_is_sent_whole_and_a_longer_one_cut_to_it():
    link = " /api/v1/disclosures"
    fits = {"key": "k", "title": "x" * (SMS_MAX_CHARS - len(link))}
    assert channel_message(fits, "sms", [])["body"] == fits["title"] + link
    over = dict(fits, title=fits["title"] + "y")
    body = channel_message(over, "sms", [])["body"]
    assert len(body) == SMS_MAX_CHARS and body == (over["title"] + link)[: SMS_MAX_CHARS - 1] + "…"
    assert channel_message({"key": "k", "title": "T"}, "sms", [])["body"] == "T /api/v1/disclosures"


def test_the_feed_order_is_milliseconds_since_the_epoch_whatever_the_zone():
    second = datetime(1970, 1, 1, 0, 0, 1, tzinfo=timezone.utc)
    assert feed_order(second, "k") == "000000000001000|k"
    beijing = second.astimezone(timezone(timedelta(hours=8)))
    assert feed_order(beijing, "k") == "000000000001000|k"


def test_a_cursor_whose_key_holds_a_bar_is_one_the_feed_gave_out():
    cursor = feed_order(datetime(2031, 5, 5, tzinfo=timezone.utc), "policy:a|b")
    assert check_feed_cursor(cursor) == cursor


def test_a_cursor_with_no_key_is_refused_with_its_message():
    with pytest.raises(Invalid) as refused:
        check_feed_cursor("000001957946400|")
    assert refused.value.errors == {"cursor": ["not a cursor this feed gave out"]}
