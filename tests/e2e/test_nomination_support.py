"""Helpers shared by the nomination e2e and integration tests (no tests here): building a world of
units, posts and cadres, and walking a selection through its stages over HTTP."""

import uuid
from datetime import datetime, timedelta, timezone

from kombu import Connection, Exchange, Producer

from services.common.envelope import make_envelope

ROLES = ("org", "committee", "discipline", "audit", "family_planning", "petition", "superior", "officer", "auditor")
DEPARTMENTS = ("discipline", "audit", "family_planning", "petition")


def code(prefix):
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def principals(api):
    for role in ROLES:
        api.principal(role, role)
    return api


def ok(response, status=200):
    assert response.status_code == status, f"{response.status_code} {response.text}"
    return response.json()


def problem(response, status, code_):
    assert response.status_code == status, f"{response.status_code} {response.text}"
    body = response.json()
    assert body["code"] == code_, body
    assert response.headers["Content-Type"].startswith("application/problem+json")
    return body


def make_unit(api):
    unit = code("U")
    ok(api.post("/api/v1/units", {"code": unit, "name": "Township"}, as_="org"), 201)
    return unit


def make_post(api, unit, *, rank="section", category="promotion", headcount=2):
    post = code("P")
    ok(
        api.post(
            "/api/v1/posts",
            {"code": post, "unit": unit, "title": "Head", "rank": rank, "category": category, "headcount": headcount},
            as_="org",
        ),
        201,
    )
    return post


def make_cadre(api, unit, *, rank="deputy_section", years=5, name=None):
    cadre = code("C")
    ok(
        api.post(
            "/api/v1/cadres",
            {"code": cadre, "name": name or f"Name {cadre}", "unit": unit, "rank": rank, "grassroots_years": years},
            as_="org",
        ),
        201,
    )
    return cadre


def open_selection(api, post, *, vacancies=1, competitive=False, proposed_by="Secretary Li"):
    return api.post(
        "/api/v1/selections",
        {
            "post": post,
            "vacancies": vacancies,
            "competitive": competitive,
            "motion": {"proposed_by": proposed_by, "reason": "vacancy"},
        },
        as_="org",
    )


def qualify(api, sel, scope, *, min_rank="clerk", years=2):
    return api.post(
        f"/api/v1/selections/{sel}/qualification",
        {"conditions": {"min_rank": min_rank, "min_grassroots_years": years}, "scope": scope},
        as_="org",
    )


def consult(api, sel, source):
    return api.post(f"/api/v1/selections/{sel}/consultations", {"source": source, "opinion": "agreed"}, as_="org")


def to_recommendation(api, sel, scope):
    ok(qualify(api, sel, scope))
    ok(consult(api, sel, "leader_in_charge"))
    body = ok(consult(api, sel, "grassroots"))
    assert body["stage"] == "recommendation"
    return body


def ballot_session(api, sel, candidates, *, electorate=3, seats=1, kind="democratic"):
    return ok(
        api.post(
            f"/api/v1/selections/{sel}/ballot-sessions",
            {"kind": kind, "electorate": electorate, "seats": seats, "candidates": candidates},
            as_="org",
        ),
        201,
    )


def cast(api, token, choices):
    return api.post("/api/v1/ballots", {"token": token, "choices": choices})


def close(api, session):
    return api.post(f"/api/v1/ballot-sessions/{session}/close", as_="org")


def voted_session(api, sel, candidates, kind="democratic"):
    """A closed, quorate session in which every candidate got a vote."""
    session = ballot_session(api, sel, candidates, electorate=len(candidates), seats=1, kind=kind)
    for token, cadre in zip(session["tokens"], candidates):
        ok(cast(api, token, [cadre]), 201)
    tally = ok(close(api, session["id"]))
    assert tally["quorum_met"]
    return session["id"]


def nominate(api, sel, cadre, basis, *, reported=True, relations=()):
    return api.post(
        f"/api/v1/selections/{sel}/nominations",
        {
            "cadre": cadre,
            "basis": basis,
            "disclosure": {"personal_matters_reported": reported},
            "relations": list(relations),
        },
        as_="org",
    )


def now():
    return datetime.now(timezone.utc)


def iso(moment):
    return moment.isoformat()


def deliberation(nominees, *, attendees=9, present=7):
    return {
        "meeting": {"held_at": iso(now()), "place": "Room 3", "attendees": attendees, "present": present},
        "nominees": nominees,
    }


def decision(appointees, *, lead=timedelta(days=4), members=11, present=9):
    held = now()
    return {
        "meeting": {
            "held_at": iso(held),
            "place": "Committee room",
            "agenda_filed_at": iso(held - lead),
            "members": members,
            "present": present,
        },
        "appointees": appointees,
    }


def to_inspection(
    api,
    *,
    category="promotion",
    post_rank="section",
    cadre_rank="deputy_section",
    nominees=1,
    competitive=False,
    vacancies=1,
    headcount=2,
):
    """A world and a selection walked to ``inspection`` with ``nominees`` deliberated nominees."""
    unit = make_unit(api)
    post = make_post(api, unit, rank=post_rank, category=category, headcount=headcount)
    cadres = [make_cadre(api, unit, rank=cadre_rank) for _ in range(nominees)]
    sel = ok(open_selection(api, post, vacancies=vacancies, competitive=competitive), 201)["id"]
    to_recommendation(api, sel, [unit])
    if category == "lateral_transfer":
        basis = {"resolution": "org-2024-7"}
    else:
        kind = "plenary" if category == "key_leadership" else "democratic"
        basis = {"ballot_session": voted_session(api, sel, cadres, kind=kind)}
    for cadre in cadres:
        ok(nominate(api, sel, cadre, basis), 201)
    ok(api.post(f"/api/v1/selections/{sel}/deliberation", deliberation(cadres), as_="org"))
    return {"unit": unit, "post": post, "cadres": cadres, "selection": sel}


def inspect(api, sel, cadres, rating=80):
    return api.post(
        f"/api/v1/selections/{sel}/inspection",
        {"reports": [{"cadre": c, "summary": "sound", "rating": rating} for c in cadres]},
        as_="org",
    )


def stage(api, sel):
    return ok(api.get(f"/api/v1/selections/{sel}", as_="org"))["stage"]


def publish(suite, source, event_type, subject, data, envelope=None, malformed=False):
    """Put an event on the suite's bus as service ``source`` would (for flows whose producer is elsewhere), its
    data as the producer's schema dumps it, unless the test means it to be ``malformed``; pass ``envelope`` to
    deliver the same event again."""
    from tests.events import as_sent
    from tests.signing import as_producer

    if envelope is None:
        data = data if malformed else as_sent(source, event_type, data)
        envelope = make_envelope(event_type, source, subject, data, actor=source)
    envelope = as_producer(suite, envelope)
    exchange = Exchange(f"{source}.events", type="topic", durable=True, auto_delete=False)
    with Connection(suite.env["AMQP_URI"]) as conn:
        producer = Producer(conn.channel(), exchange=exchange)
        producer.publish(
            envelope, routing_key=event_type, serializer="json", declare=[exchange], delivery_mode=2, retry=True
        )
    return envelope
