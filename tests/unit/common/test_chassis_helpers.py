"""The chassis's small helpers: request stamps, keyed @rpc, the caller from context, counts, settings (no I/O)."""

import pytest

from services.common import aggregate, applied, config, context, entrypoints, mongo


def test_a_stamp_exists_only_while_a_keyed_request_runs_even_when_it_fails():
    assert aggregate.stamp() is None
    with pytest.raises(ValueError):
        with aggregate.running("K9"):
            assert aggregate.stamp() == "request:K9" == aggregate.mark_of("K9")
            raise ValueError
    assert aggregate.stamp() is None


def test_stamped_answers_the_first_aggregate_carrying_the_mark(monkeypatch):
    asked = []

    def holding(found):
        class Query:
            def __init__(self, handled):
                asked.append(handled)

            def only(self, *fields):
                assert fields == ("id",)
                return self

            def first(self):
                return found

        return type("Doc", (), {"objects": Query})

    monkeypatch.setattr(aggregate, "aggregate_classes", lambda: [holding(None), holding("S1"), holding("S2")])
    assert aggregate.stamped("request:K1") == "S1" and asked == ["request:K1"] * 2
    monkeypatch.setattr(aggregate, "aggregate_classes", lambda: [holding(None)])
    assert aggregate.stamped("request:K1") is None


class Campaign(aggregate.Aggregate):
    meta = {"abstract": True}


class RecruitmentCampaign(Campaign):
    """Concrete below an abstract one: found, though not a direct subclass of Aggregate."""


def test_aggregate_classes_are_the_concrete_ones_at_any_depth():
    found = aggregate.aggregate_classes()
    assert RecruitmentCampaign in found and Campaign not in found and aggregate.Aggregate not in found


class Service:
    def __init__(self, caller):
        self.caller = caller

    def open(self, code, body=None):
        return {"code": code, "body": body}


def keyed_rpc(monkeypatch):
    ran = []
    monkeypatch.setattr(entrypoints, "_rpc", lambda fn: fn)
    monkeypatch.setattr(
        applied, "once", lambda key, run, answer_key, digest: ran.append((key, answer_key, digest)) or run()
    )
    return entrypoints.rpc(Service.open), ran


def caller(request_key=None, answer_key=None, digest=None):
    return context.Caller("nomination", "org-dept", "org", "req-1", request_key, answer_key, digest)


def test_a_keyed_rpc_runs_through_applied_once_with_its_answer_key_and_digest(monkeypatch):
    method, ran = keyed_rpc(monkeypatch)
    assert method(Service(caller("K1", "A1", "D1")), "MJ-01", body={"n": 1}) == {"code": "MJ-01", "body": {"n": 1}}
    assert ran == [("K1", "A1", "D1")] and method.__name__ == "open"


@pytest.mark.parametrize("who", [caller(), None])
def test_an_unkeyed_rpc_runs_directly(monkeypatch, who):
    method, ran = keyed_rpc(monkeypatch)
    assert method(Service(who), "MJ-01") == {"code": "MJ-01", "body": None} and ran == []


def test_the_caller_is_read_from_the_context_with_blanks_as_none():
    provider = context.RequestContext()
    provider.container = type("Container", (), {"service_name": "records"})()
    data = {
        context.ACTOR: "org-dept",
        context.ROLE: "",
        context.CORRELATION_ID: "req-7",
        context.REQUEST_KEY: "K",
        context.REQUEST_DIGEST: "D",
    }
    worker = type("Worker", (), {"data": data})()
    provider.worker_setup(worker)
    assert context.current_request_id.get() == "req-7"
    assert provider.get_dependency(worker) == context.Caller("records", "org-dept", None, "req-7", "K", None, "D")
    assert context.context_for(None, "org", None) == {
        "cadre_actor": "",
        "cadre_role": "org",
        "cadre_correlation_id": "",
    }


def test_a_callers_envelope_carries_its_service_actor_and_request_id():
    envelope = caller().envelope("unit.created", "unit:MJ-01", {"code": "MJ-01"})
    assert (envelope["source"], envelope["actor"], envelope["correlation_id"]) == ("nomination", "org-dept", "req-1")


def test_counts_by_groups_in_one_round_trip_and_answers_zero_for_values_absent():
    pipelines = []

    class Collection:
        def aggregate(self, pipeline):
            pipelines.append(pipeline)
            return [{"_id": "open", "n": 3}]

    assert mongo.counts_by(Collection(), "status", ["open", "closed"], {"post": "P1"}) == {"open": 3, "closed": 0}
    assert pipelines == [[{"$match": {"post": "P1"}}, {"$group": {"_id": "$status", "n": {"$sum": 1}}}]]
    mongo.counts_by(Collection(), "status", [])
    assert pipelines[1] == [{"$group": {"_id": "$status", "n": {"$sum": 1}}}]


def test_settings_lists_uris_and_ports(monkeypatch):
    monkeypatch.setenv("AMQP_URI", " amqp://a ; ;amqp://b ")
    assert config.amqp_uris() == ["amqp://a", "amqp://b"] and config.amqp_uris("amqp://c") == ["amqp://c"]
    monkeypatch.setenv("MONGODB_URI", "")
    monkeypatch.setenv("MONGODB_PORT", "27999")
    assert config.mongodb_uri() == "mongodb://127.0.0.1:27999/"
    monkeypatch.setenv("MONGODB_URI", "mongodb://db:1/")
    assert config.mongodb_uri() == "mongodb://db:1/"
    monkeypatch.setenv("NOMINATION_METRICS_PORT", "9101")
    assert config.metrics_port("nomination") == 9101
    monkeypatch.setenv("CADRE_TEST_LIST", "")
    monkeypatch.setitem(config.DEFAULTS, "CADRE_TEST_LIST", " a, ,b ")
    assert config.get_list("CADRE_TEST_LIST") == ["a", "b"]
