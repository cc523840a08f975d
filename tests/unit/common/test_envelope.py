"""The event envelope of DESIGN.md."""

import uuid

import pytest
from marshmallow import ValidationError

from services.common.context import Caller
from services.common.envelope import load_envelope, make_envelope


def test_envelope_has_every_field_of_design():
    env = make_envelope("selection.decided", "nomination", "selection:s1", {"a": 1}, actor="org", correlation_id="r1")
    assert set(env) == {"id", "type", "source", "occurred_at", "correlation_id", "actor", "subject", "data", "version"}
    assert uuid.UUID(env["id"]).version == 4
    assert env["occurred_at"].endswith("Z") and env["version"] == 1


def test_each_envelope_has_its_own_id():
    ids = {make_envelope("unit.created", "nomination", "unit:u", {})["id"] for _ in range(100)}
    assert len(ids) == 100


@pytest.mark.parametrize("bad_type", ["selection", "Selection.Decided", "selection.decided.now", ""])
def test_event_types_are_aggregate_dot_verb(bad_type):
    with pytest.raises(ValidationError):
        make_envelope(bad_type, "nomination", "selection:s1", {})


def test_load_round_trip_and_refuses_wrong_version():
    env = make_envelope("unit.created", "nomination", "unit:u", {"code": "u"})
    loaded = load_envelope(env)
    assert loaded["id"] == env["id"] and loaded["occurred_at"].tzinfo is not None
    with pytest.raises(ValidationError):
        load_envelope(dict(env, version=2))
    with pytest.raises(ValidationError):
        load_envelope({k: v for k, v in env.items() if k != "subject"})


def test_caller_stamps_actor_and_correlation_id():
    env = Caller("nomination", "orgdept", "org", "req-9").envelope("unit.created", "unit:u", {})
    assert (env["source"], env["actor"], env["correlation_id"]) == ("nomination", "orgdept", "req-9")


def test_a_signed_envelope_loads_the_same_by_both_paths(tmp_path, monkeypatch):
    """Every envelope on the bus carries ``signature`` (DESIGN.md); the fast path and the schema agree on it."""
    from services.common import envelope as module
    from services.common import signing

    monkeypatch.setenv("CADRE_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("NOMINATION_SIGNING_KEY", raising=False)
    signed = signing.sign_envelope(make_envelope("unit.created", "nomination", "unit:u", {"code": "u"}))
    fast = load_envelope(signed)
    monkeypatch.setattr(module, "_plain", lambda payload: None)
    assert load_envelope(signed) == fast and fast["signature"] == signed["signature"]
    monkeypatch.undo()
    with pytest.raises(ValidationError):
        load_envelope(dict(signed, signature=""))


def test_the_fast_path_and_the_schema_load_the_same_envelope():
    # the records writer skips marshmallow for a plainly well-formed envelope (envelope._plain): it must
    # take that path, and give what the schema gives
    from services.common import envelope

    env = make_envelope("unit.created", "nomination", "unit:u", {"code": "u"})
    fast = envelope._plain(env)
    assert fast is not None
    slow = envelope._schema.load(env)
    assert fast == dict(slow, id=str(slow["id"]))


def test_an_envelope_the_fast_path_leaves_to_the_schema_still_loads_whole():
    env = make_envelope("unit.created", "nomination", "unit:u", {"code": "u"})
    naive = dict(env, occurred_at=env["occurred_at"].replace("Z", ""))  # no offset: the schema assumes UTC
    loaded = load_envelope(naive)
    assert loaded["id"] == env["id"] and isinstance(loaded["id"], str)
    assert loaded["occurred_at"].utcoffset().total_seconds() == 0


def test_rfc3339_reads_a_naive_time_as_utc_whatever_the_machine_zone(monkeypatch):
    import time
    from datetime import datetime, timedelta, timezone
    from services.common.clock import rfc3339

    monkeypatch.setenv("TZ", "Asia/Shanghai")
    time.tzset()
    try:
        assert rfc3339(datetime(2026, 3, 1, 8, 0)) == "2026-03-01T08:00:00.000000Z"
        aware = datetime(2026, 3, 1, 16, 0, tzinfo=timezone(timedelta(hours=8)))
        assert rfc3339(aware) == "2026-03-01T08:00:00.000000Z"
    finally:
        monkeypatch.delenv("TZ")
        time.tzset()


# --- the fast path holds the schema's limits exactly, and is taken ----------------------------------------


def test_a_well_formed_envelope_is_loaded_without_the_schema(monkeypatch):
    # the records writer loads every event on the bus: marshmallow is for what is not plainly well formed
    from services.common import envelope as module

    env = make_envelope("unit.created", "nomination", "unit:u", {"code": "u"})

    class NoSchema:
        def load(self, payload):
            raise AssertionError("the schema was asked about a well-formed envelope")

    monkeypatch.setattr(module, "_schema", NoSchema())
    assert load_envelope(env)["id"] == env["id"]


@pytest.mark.parametrize(("field", "longest"), [("source", 64), ("subject", 200)])
def test_the_fast_path_takes_sources_and_subjects_of_the_schemas_lengths_and_no_longer(field, longest):
    from services.common import envelope as module

    env = make_envelope("unit.created", "nomination", "unit:u", {})
    for length in (1, longest):
        assert module._plain(dict(env, **{field: "s" * length})) is not None
    assert module._plain(dict(env, **{field: "s" * (longest + 1)})) is None
    with pytest.raises(ValidationError):
        load_envelope(dict(env, **{field: "s" * (longest + 1)}))


def test_a_time_ending_in_lowercase_z_is_refused_by_the_fast_path_as_by_the_schema():
    # the fast path may only take what the schema would: marshmallow reads no lowercase "z"
    env = make_envelope("unit.created", "nomination", "unit:u", {})
    with pytest.raises(ValidationError):
        load_envelope(dict(env, occurred_at=env["occurred_at"].replace("Z", "z")))
