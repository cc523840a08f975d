"""The console's list of selections (``list_selections``, an RPC the gateway signs for): over real RabbitMQ and a
database of its own, newest first, filtered by stage, paged exactly through selections opened within one second."""

from datetime import datetime

import pytest

from services.common.errors import CadreError
from tests.e2e.test_nomination_support import (
    make_post,
    make_unit,
    ok,
    open_selection,
    principals,
    qualify,
    to_inspection,
)
from tests.harness import Suite
from tests.signing import call_as_gateway

FIELDS = {
    "id",
    "post",
    "post_title",
    "mode",
    "competitive",
    "vacancies",
    "stage",
    "created_at",
    "nominees",
    "next_actions",
}


@pytest.fixture(scope="module")
def suite():
    running = Suite().start()
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture(scope="module")
def world(suite):
    """One selection walked to inspection with two nominees, then five opened on one post (two qualified)."""
    api = principals(suite.api)
    inspected = to_inspection(api, nominees=2)
    unit = make_unit(api)
    post = make_post(api, unit, headcount=10)
    opened = [ok(open_selection(api, post), 201)["id"] for _ in range(5)]
    for sel in (opened[1], opened[3]):
        ok(qualify(api, sel, [unit]))
    return {"inspected": inspected, "post": post, "opened": opened}


def listed(suite, **query):
    return call_as_gateway(suite, "nomination", "list_selections", "org", "org", query=query)


def every_page(suite, **query):
    pages, cursor = [], None
    while True:
        page = listed(suite, **query, **({"cursor": cursor} if cursor else {}))
        pages.append(page)
        cursor = page["next_cursor"]
        if cursor is None:
            return pages


def test_newest_first_with_each_selections_summary(suite, world):
    page = listed(suite)
    assert set(page) == {"items", "next_cursor"} and page["next_cursor"] is None
    items = page["items"]
    assert [i["id"] for i in items] == list(reversed(world["opened"])) + [world["inspected"]["selection"]]
    assert all(set(i) == FIELDS for i in items)
    times = [datetime.fromisoformat(i["created_at"].replace("Z", "+00:00")) for i in items]
    assert times == sorted(times, reverse=True)

    newest, qualified, inspected = items[0], items[1], items[-1]
    assert {k: newest[k] for k in ("post", "post_title", "mode", "competitive", "vacancies", "stage", "nominees")} == {
        "post": world["post"],
        "post_title": "Head",
        "mode": "democratic_recommendation",
        "competitive": False,
        "vacancies": 1,
        "stage": "motion",
        "nominees": 0,
    }
    assert newest["next_actions"] == ["qualification", "pre_report", "observer"]
    assert qualified["stage"] == "qualification"
    assert qualified["next_actions"] == ["consultation", "pre_report", "observer"]
    assert (inspected["stage"], inspected["nominees"]) == ("inspection", 2)
    assert inspected["next_actions"] == ["inspection", "pre_report", "observer"]


def test_filtered_by_stage(suite, world):
    opened = world["opened"]
    assert [i["id"] for i in listed(suite, stage="qualification")["items"]] == [opened[3], opened[1]]
    assert [i["id"] for i in listed(suite, stage="motion")["items"]] == [opened[4], opened[2], opened[0]]
    assert listed(suite, stage="closed") == {"items": [], "next_cursor": None}


def test_pages_cut_exactly_one_after_the_other(suite, world):
    everything = [i["id"] for i in listed(suite)["items"]]
    pages = every_page(suite, limit=2)
    assert [len(p["items"]) for p in pages] == [2, 2, 2]
    assert [i["id"] for p in pages for i in p["items"]] == everything
    one_by_one = every_page(suite, limit=1, stage="motion")
    assert [i["id"] for p in one_by_one for i in p["items"]] == [world["opened"][i] for i in (4, 2, 0)]


def test_a_bad_query_is_refused_naming_the_field(suite, world):
    for query, field in (
        ({"cursor": "2031-05-05T10:00:00Z"}, "cursor"),
        ({"stage": "limbo"}, "stage"),
        ({"limit": 0}, "limit"),
    ):
        with pytest.raises(CadreError) as refused:
            listed(suite, **query)
        assert (refused.value.status, refused.value.code) == (400, "invalid")
        assert field in (refused.value.errors or {})
