"""Public notice rules: text, objection window, resolution, outcome and its recomputation."""

from datetime import datetime, timedelta, timezone
from itertools import count

import pytest

from services.common.errors import Conflict, Forbidden, Invalid, NotFound
from services.supervision.domain import notices as nt

T0 = datetime(2026, 3, 1, 1, 0, tzinfo=timezone.utc)  # 09:00 in Beijing
PEOPLE = [{"name": "张三", "post": "区财政局副局长"}, {"name": "李四", "post": "区财政局副局长"}]


def ids(prefix):
    counter = count(1)
    return lambda: f"{prefix}{next(counter)}"


def notice(period=5 * 86400):
    n, _ = nt.open_notice("S1", PEOPLE, T0, period_seconds=period, new_id=ids("n"))
    return n


def lodge(n, at=None, text="他的学历有问题", new_id=None):
    obj, events = nt.lodge_objection(n, text, at or T0 + timedelta(hours=1), new_id=new_id or ids("o"))
    return obj, events


def resolve(n, objections, oid, upheld, at=None, by="discipline"):
    return nt.resolve_objection(
        n, objections, oid, upheld=upheld, finding="核实", resolved_by=by, now=at or T0 + timedelta(days=6)
    )


def test_open_notice_has_period_and_public_shape_and_event():
    n, events = nt.open_notice("S1", PEOPLE, T0, period_seconds=5 * 86400, new_id=lambda: "n1")
    assert n.status == "open"
    assert n.closes_at == T0 + timedelta(days=5)
    assert n.as_public_dict() == {
        "id": "n1",
        "subject": "selection:S1",
        "title": n.title,
        "body": n.body,
        "opens_at": T0,
        "closes_at": T0 + timedelta(days=5),
        "status": "open",
    }
    assert [e.type for e in events] == ["notice.opened"]
    assert events[0].data["notice"] == "n1" and events[0].data["selection"] == "S1"


def test_notice_text_names_appointees_posts_and_period_in_beijing_time():
    n = notice()
    assert n.title == "任前公示（区财政局副局长）"
    assert "1. 张三，拟任区财政局副局长" in n.body
    assert "2. 李四，拟任区财政局副局长" in n.body
    assert "公示期：2026年3月1日09:00至2026年3月6日09:00（北京时间），共5天。" in n.body


def test_notice_text_is_deterministic_and_lists_each_post_once():
    people = [
        nt.Appointee("王五", "甲镇镇长"),
        {"name": "赵六", "post": "乙镇镇长"},
        {"name": "钱七", "post": "甲镇镇长"},
    ]
    first = nt.notice_text(people, T0, T0 + timedelta(hours=2))
    assert first == nt.notice_text(list(people), T0, T0 + timedelta(hours=2))
    assert first[0] == "任前公示（甲镇镇长、乙镇镇长）"
    assert "共2小时" in first[1]


def test_open_notice_needs_appointees():
    with pytest.raises(ValueError):
        nt.open_notice("S1", [], T0, new_id=lambda: "n1")


def test_objection_accepted_while_open_without_objector_identity():
    obj, events = lodge(notice(), text="  反映问题  ")
    assert obj.content == "反映问题"
    assert obj.status == "pending"
    assert set(obj.as_dict()) == {
        "id",
        "notice",
        "content",
        "lodged_at",
        "status",
        "finding",
        "resolved_at",
        "resolved_by",
    }
    assert [e.type for e in events] == ["objection.lodged"]
    assert "content" not in events[0].data


def test_objection_content_size_limits():
    n = notice()
    lodge(n, text="x" * nt.CONTENT_MAX_CHARS)
    for bad in ("", "   ", "x" * (nt.CONTENT_MAX_CHARS + 1), None, 42):
        with pytest.raises(Invalid) as exc:
            lodge(n, text=bad)
        assert list(exc.value.errors) == ["content"]


def test_late_objection_is_refused_with_session_closed():
    n = notice()
    lodge(n, at=n.closes_at - timedelta(seconds=1))
    with pytest.raises(Conflict) as exc:
        lodge(n, at=n.closes_at)
    assert exc.value.code == "session_closed"
    closed, _ = nt.close_notice(n, [], n.closes_at)
    with pytest.raises(Conflict) as exc:
        lodge(closed, at=n.closes_at - timedelta(days=1))  # closed wins over the clock
    assert exc.value.code == "session_closed"


def test_objection_before_notice_opens_is_too_early():
    n = notice()
    with pytest.raises(Conflict) as exc:
        lodge(n, at=T0 - timedelta(seconds=1))
    assert exc.value.code == "too_early"


def test_close_before_end_is_too_early_and_closing_twice_is_harmless():
    n = notice()
    with pytest.raises(Conflict) as exc:
        nt.close_notice(n, [], n.closes_at - timedelta(seconds=1))
    assert exc.value.code == "too_early"
    closed, events = nt.close_notice(n, [], n.closes_at)
    assert closed.status == "closed" and closed.outcome == "clear"
    assert [e.type for e in events] == ["notice.closed"]
    assert events[0].data["outcome"] == "clear" and events[0].data["revision"] == 1
    again, events = nt.close_notice(closed, [], n.closes_at + timedelta(days=1))
    assert again == closed and events == ()


def test_notices_due_to_close():
    a, b = notice(), notice(period=60)
    assert nt.notices_due_to_close([a, b], T0 + timedelta(seconds=59)) == []
    assert nt.notices_due_to_close([a, b], T0 + timedelta(seconds=60)) == [b]
    assert nt.notices_due_to_close([a, b], T0 + timedelta(days=5)) == [b, a]
    closed, _ = nt.close_notice(b, [], T0 + timedelta(days=1))
    assert nt.notices_due_to_close([closed], T0 + timedelta(days=9)) == []


def test_outcome_rule():
    n = notice()
    pending, _ = lodge(n)
    upheld = nt.Objection("u", n.id, "x", T0, status="upheld")
    dismissed = nt.Objection("d", n.id, "x", T0, status="dismissed")
    assert nt.notice_outcome([]) == "clear"
    assert nt.notice_outcome([dismissed]) == "clear"
    assert nt.notice_outcome([dismissed, pending]) == "pending"
    assert nt.notice_outcome([pending, upheld]) == "upheld"


def test_pending_objection_holds_then_dismissal_recomputes_to_clear():
    n = notice()
    obj, _ = lodge(n)
    closed, events = nt.close_notice(n, [obj], n.closes_at)
    assert closed.outcome == "pending"
    assert events[0].data["pending"] == 1
    res = resolve(closed, [obj], obj.id, upheld=False)
    assert res.objection.status == "dismissed" and res.objection.finding == "核实"
    assert res.notice.outcome == "clear" and res.notice.revision == 2
    assert [e.type for e in res.events] == ["objection.resolved", "notice.closed"]
    assert res.events[1].data["outcome"] == "clear"
    assert res.events[1].data["revision"] == 2


def test_outcome_is_sent_again_only_when_the_last_pending_is_resolved():
    n = notice()
    new_id = ids("o")
    a, _ = lodge(n, new_id=new_id)
    b, _ = lodge(n, new_id=new_id)
    closed, _ = nt.close_notice(n, [a, b], n.closes_at)
    first = resolve(closed, [a, b], a.id, upheld=False)
    assert first.notice.outcome == "pending"
    assert [e.type for e in first.events] == ["objection.resolved"]
    second = resolve(first.notice, [first.objection, b], b.id, upheld=False)
    assert second.notice.outcome == "clear"
    assert [e.type for e in second.events] == ["objection.resolved", "notice.closed"]


def test_upheld_objection_blocks_even_with_others_pending():
    n = notice()
    new_id = ids("o")
    a, _ = lodge(n, new_id=new_id)
    b, _ = lodge(n, new_id=new_id)
    closed, _ = nt.close_notice(n, [a, b], n.closes_at)
    res = resolve(closed, [a, b], a.id, upheld=True)
    assert res.notice.outcome == "upheld"
    assert res.events[-1].type == "notice.closed" and res.events[-1].data["outcome"] == "upheld"
    # dismissing the other cannot lift it
    later = resolve(res.notice, [res.objection, b], b.id, upheld=False)
    assert later.notice.outcome == "upheld"
    assert [e.type for e in later.events] == ["objection.resolved"]


def test_objection_resolved_during_period_changes_nothing_until_close():
    n = notice()
    obj, _ = lodge(n)
    res = resolve(n, [obj], obj.id, upheld=True, at=T0 + timedelta(days=1), by="org")
    assert res.notice == n
    assert [e.type for e in res.events] == ["objection.resolved"]
    closed, events = nt.close_notice(n, [res.objection], n.closes_at)
    assert closed.outcome == "upheld" and events[0].data["upheld"] == 1


def test_resolving_twice_is_already_submitted():
    n = notice()
    obj, _ = lodge(n)
    res = resolve(n, [obj], obj.id, upheld=False)
    with pytest.raises(Conflict) as exc:
        resolve(res.notice, [res.objection], obj.id, upheld=True)
    assert exc.value.code == "already_submitted"


def test_resolve_checks_role_fields_and_existence():
    n = notice()
    obj, _ = lodge(n)
    with pytest.raises(Forbidden):
        resolve(n, [obj], obj.id, upheld=True, by="audit")
    with pytest.raises(Invalid) as exc:
        nt.resolve_objection(n, [obj], obj.id, upheld="yes", finding="f", resolved_by="org", now=T0)
    assert list(exc.value.errors) == ["upheld"]
    with pytest.raises(Invalid) as exc:
        nt.resolve_objection(n, [obj], obj.id, upheld=True, finding=" ", resolved_by="org", now=T0)
    assert list(exc.value.errors) == ["finding"]
    with pytest.raises(NotFound):
        resolve(n, [obj], "nope", upheld=True)
    other = nt.Objection("x", "other-notice", "c", T0)
    with pytest.raises(NotFound):
        resolve(n, [other], "x", upheld=True)


# The exact outcomes: the texts the public and the API read, every field an event carries, each boundary.


def test_the_notice_body_is_exactly_the_published_text():
    n = notice()
    assert n.body == (
        "经区委研究决定，拟任用下列同志，现予以公示：\n"
        "\n"
        "1. 张三，拟任区财政局副局长\n"
        "2. 李四，拟任区财政局副局长\n"
        "\n"
        "公示期：2026年3月1日09:00至2026年3月6日09:00（北京时间），共5天。\n"
        "公示期间，对公示对象有异议的，可通过本平台提出意见。反映问题应实事求是、具体详实。"
    )
    assert n.appointees == (nt.Appointee("张三", "区财政局副局长"), nt.Appointee("李四", "区财政局副局长"))


@pytest.mark.parametrize(
    "seconds,shown",
    [(2 * 86400, "共2天"), (3 * 3600, "共3小时"), (120, "共2分钟"), (61, "共61秒"), (1, "共1秒")],
)
def test_the_period_is_shown_in_the_largest_whole_unit(seconds, shown):
    _, body = nt.notice_text(PEOPLE, T0, T0 + timedelta(seconds=seconds))
    assert f"（北京时间），{shown}。" in body


def test_the_opened_event_carries_the_notice_its_title_and_period():
    n, events = nt.open_notice("S1", PEOPLE, T0, period_seconds=60, new_id=lambda: "n1")
    assert [(e.type, e.subject, e.data) for e in events] == [
        (
            "notice.opened",
            "selection:S1",
            {
                "notice": "n1",
                "selection": "S1",
                "title": "任前公示（区财政局副局长）",
                "opens_at": "2026-03-01T01:00:00+00:00",
                "closes_at": "2026-03-01T01:01:00+00:00",
            },
        )
    ]


def test_a_period_of_one_second_is_allowed_and_none_is_refused():
    n, _ = nt.open_notice("S1", PEOPLE, T0, period_seconds=1, new_id=lambda: "n1")
    assert n.closes_at == T0 + timedelta(seconds=1)
    with pytest.raises(ValueError, match="^period_seconds must be positive$"):
        nt.open_notice("S1", PEOPLE, T0, period_seconds=0, new_id=lambda: "n1")
    with pytest.raises(ValueError, match="^a notice needs at least one appointee$"):
        nt.open_notice("S1", [], T0, new_id=lambda: "n1")


def test_an_objection_is_accepted_at_the_very_moment_the_notice_opens():
    n = notice()
    obj, events = lodge(n, at=T0, new_id=lambda: "o1")
    assert obj.as_dict() == {
        "id": "o1",
        "notice": "n1",
        "content": "他的学历有问题",
        "lodged_at": T0,
        "status": "pending",
        "finding": None,
        "resolved_at": None,
        "resolved_by": None,
    }
    assert [(e.type, e.subject, e.data) for e in events] == [
        ("objection.lodged", "selection:S1", {"objection": "o1", "notice": "n1", "selection": "S1"})
    ]
    assert n.is_open_at(T0) and not n.is_open_at(T0 - timedelta(microseconds=1))


def test_each_refusal_of_an_objection_says_why():
    n = notice()
    with pytest.raises(Conflict) as exc:
        lodge(n, at=T0 - timedelta(seconds=1))
    assert (exc.value.detail, exc.value.code) == ("the notice period has not begun", "too_early")
    with pytest.raises(Conflict) as exc:
        lodge(n, at=n.closes_at)
    assert (exc.value.detail, exc.value.code) == ("the notice period is over", "session_closed")
    with pytest.raises(Conflict) as exc:
        nt.close_notice(n, [], n.closes_at - timedelta(seconds=1))
    assert (exc.value.detail, exc.value.code) == ("the notice period has not ended", "too_early")


def test_the_closed_event_counts_pending_and_upheld_objections():
    n = notice()
    new_id = ids("o")
    a, _ = lodge(n, new_id=new_id)
    b, _ = lodge(n, new_id=new_id)
    upheld = nt.Objection("o3", n.id, "x", T0, status="upheld")
    closed, events = nt.close_notice(n, [a, b, upheld], n.closes_at)
    assert [(e.type, e.subject, e.data) for e in events] == [
        (
            "notice.closed",
            "selection:S1",
            {"notice": "n1", "selection": "S1", "outcome": "upheld", "revision": 1, "pending": 2, "upheld": 1},
        )
    ]


def test_a_resolution_records_who_resolved_it_when_and_the_event_says_whether_upheld():
    n = notice()
    obj, _ = lodge(n, new_id=lambda: "o1")
    at = T0 + timedelta(days=1)
    res = resolve(n, [obj], "o1", upheld=True, at=at, by="org")
    assert res.objection.as_dict() == {
        "id": "o1",
        "notice": "n1",
        "content": "他的学历有问题",
        "lodged_at": T0 + timedelta(hours=1),
        "status": "upheld",
        "finding": "核实",
        "resolved_at": at,
        "resolved_by": "org",
    }
    assert [(e.type, e.subject, e.data) for e in res.events] == [
        ("objection.resolved", "selection:S1", {"objection": "o1", "notice": "n1", "selection": "S1", "upheld": True})
    ]


def test_each_refusal_of_a_resolution_says_why():
    n = notice()
    obj, _ = lodge(n)
    with pytest.raises(Forbidden) as exc:
        resolve(n, [obj], obj.id, upheld=True, by="audit")
    assert exc.value.detail == "only the organization or discipline department resolves objections"
    with pytest.raises(Invalid) as exc:
        nt.resolve_objection(n, [obj], obj.id, upheld="yes", finding="f", resolved_by="org", now=T0)
    assert exc.value.errors == {"upheld": ["Not a valid boolean."]}
    with pytest.raises(NotFound) as exc:
        resolve(n, [obj], "nope", upheld=True)
    assert exc.value.detail == "no such objection"
    res = resolve(n, [obj], obj.id, upheld=False)
    with pytest.raises(Conflict) as exc:
        resolve(res.notice, [res.objection], obj.id, upheld=True)
    assert exc.value.detail == "the objection has already been resolved"
