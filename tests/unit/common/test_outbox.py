"""The outbox's writes and relay with fake documents, querysets, collections and publisher (no broker, no database)."""

import json
import threading

import pytest
from mongoengine import NotUniqueError

from services.common import aggregate, idempotency, metrics, outbox, signing
from services.common.envelope import make_envelope
from services.common.errors import Conflict


@pytest.fixture(autouse=True)
def keys(tmp_path, monkeypatch):
    monkeypatch.setattr(outbox, "_pulls", {})  # each test's collection its own group commit
    monkeypatch.setenv("CADRE_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("NOMINATION_SIGNING_KEY", raising=False)
    monkeypatch.delenv("NOMINATION_PUBLIC_KEY", raising=False)
    outbox._written.docs = None
    yield
    outbox._written.docs = None


def event(n=1):
    return make_envelope("selection.opened", "nomination", f"selection:S{n}", {"selection": f"S{n}"})


class Selection:
    """An aggregate document as ``outbox.insert`` sees it."""

    def __init__(self, pk="S1", handled=None, duplicate=False):
        self.pk, self.handled, self.duplicate = pk, handled, duplicate
        self.saved, self.outbox = [], []

    def save(self, force_insert):
        if self.duplicate:
            raise NotUniqueError("duplicate key")
        self.saved.append(force_insert)


class QuerySet:
    """Records the filter and the update ``outbox.modify`` sends; answers ``doc``."""

    def __init__(self, doc):
        self.doc, self.filters, self.updates = doc, [], None

    def filter(self, **conditions):
        self.filters.append(conditions)
        return self

    def modify(self, new, **updates):
        assert new is True
        self.updates = updates
        return self.doc


def test_a_services_events_go_to_its_durable_topic_exchange():
    exchange = outbox.event_exchange("nomination")
    assert (exchange.name, exchange.type, exchange.durable, exchange.auto_delete) == (
        "nomination.events",
        "topic",
        True,
        False,
    )


def test_insert_writes_the_document_with_its_events_signed_and_counted():
    doc = outbox.insert(Selection(), event(1), event(2))
    assert doc.saved == [True] and doc.outbox_n == 2 and doc.handled is None
    stored = [json.loads(message) for message in doc.outbox]
    assert [e["subject"] for e in stored] == ["selection:S1", "selection:S2"]
    for envelope in stored:
        signing.verify_envelope(envelope, source="nomination")
    assert doc.outbox[0] == json.dumps(stored[0], separators=(",", ":"), sort_keys=True)


def test_a_duplicate_insert_is_409_exists_named_by_the_document_or_the_detail_given():
    with pytest.raises(Conflict) as refused:
        outbox.insert(Selection(duplicate=True), event())
    assert (refused.value.code, refused.value.detail) == ("exists", "selection already exists")
    with pytest.raises(Conflict) as named:
        outbox.insert(Selection(duplicate=True), exists_detail="post P1 is already open")
    assert named.value.detail == "post P1 is already open"


def test_insert_inside_a_keyed_request_stamps_the_document_only_when_it_has_events():
    with aggregate.running("K1"):
        with_event = outbox.insert(Selection(handled=["evt-0"]), event())
        without = outbox.insert(Selection())
    assert with_event.handled == ["evt-0", "request:K1"]
    assert without.handled is None and without.outbox == [] and without.outbox_n == 0


def test_modify_pushes_the_events_and_counts_them_in_the_same_update():
    doc = Selection()
    doc.outbox = ["older", "newer"]
    queryset = QuerySet(doc)
    assert outbox.modify(queryset, {"set__status": "open"}, [event()]) is doc
    updates = queryset.updates
    assert set(updates) == {"set__status", "push_all__outbox", "inc__outbox_n"}
    assert updates["inc__outbox_n"] == 1 and json.loads(updates["push_all__outbox"][0])["type"] == "selection.opened"
    assert queryset.filters == []


def test_modify_without_events_changes_only_what_was_asked_even_inside_a_keyed_request():
    queryset = QuerySet(Selection())
    with aggregate.running("K1"):
        outbox.modify(queryset, {"set__status": "open"})
    assert queryset.updates == {"set__status": "open"}


def test_modify_once_matches_only_documents_that_have_not_handled_the_envelope():
    queryset = QuerySet(Selection())
    with aggregate.running("K1"):
        outbox.modify(queryset, {"inc__n": 1}, [event()], once="evt-7")
    assert queryset.filters == [{"handled__nin": ["evt-7"]}]
    assert queryset.updates["push_all__handled"] == ["evt-7", "request:K1"]
    plain = QuerySet(Selection())
    idempotency.modify_once(plain, "evt-8", {"inc__n": 1})
    assert plain.filters == [{"handled__nin": ["evt-8"]}] and plain.updates == {
        "inc__n": 1,
        "push_all__handled": ["evt-8"],
    }


def test_the_updates_given_are_not_changed_by_modify():
    updates = {"set__status": "open"}
    outbox.modify(QuerySet(Selection()), updates, [event()])
    assert updates == {"set__status": "open"}


def test_a_worker_tracks_each_written_documents_outbox_for_the_relay():
    outbox._written.docs = {}
    doc = Selection()
    doc.outbox = ["pending"]
    outbox.modify(QuerySet(doc), {}, [event()])
    outbox.modify(QuerySet(None), {}, [event()])  # nothing matched: nothing to publish
    assert outbox._written.docs == {(Selection, "S1"): ["pending"]}


def test_a_write_whose_answer_left_the_outbox_out_is_read_by_the_relay():
    outbox._written.docs = {}
    doc = Selection()
    doc.outbox = None
    outbox.modify(QuerySet(doc), {}, [event()])
    assert outbox._written.docs == {(Selection, "S1"): None}


def test_a_write_outside_any_worker_wakes_the_sweep_and_an_empty_outbox_does_not():
    before = outbox._untracked.generation
    outbox.insert(Selection())
    assert outbox._untracked.generation == before
    outbox.insert(Selection(), event())
    assert outbox._untracked.generation == before + 1


class Collection:
    """A MongoDB collection of aggregates: the reads and pulls the relay makes."""

    def __init__(self, docs):
        self.docs = {doc["_id"]: doc for doc in docs}
        self.reads = []

    def find_one(self, query, projection):
        self.reads.append((query, projection))
        found = self.docs.get(query["_id"])
        return None if found is None else {**found, "outbox": list(found["outbox"])}  # a copy, as read

    def find(self, query, projection):
        assert (query, projection) == ({"outbox_n": {"$gt": 0}}, {"_id": 1, "outbox_n": 1})
        return [d for d in self.docs.values() if d.get("outbox_n", 0) > 0]

    full_name = "cadre.posts"

    def bulk_write(self, operations, ordered):
        """The relay's pulls, one command for several: each a ``$pull`` of one envelope from one document."""
        assert ordered is False and len(operations) > 1
        self.writes = getattr(self, "writes", 0) + 1
        for operation in operations:
            self._pull(operation._filter, operation._doc)

    def update_one(self, query, update):
        """A lone pull."""
        self.writes = getattr(self, "writes", 0) + 1
        self._pull(query, update)

    def _pull(self, query, update):
        message = query["outbox"]
        assert update == {"$pull": {"outbox": message}, "$inc": {"outbox_n": -1}}
        doc = self.docs[query["_id"]]
        if message in doc["outbox"]:
            doc["outbox"].remove(message)
            doc["outbox_n"] -= 1


class Publisher:
    """Stands for services.common.confirms.ConfirmedPublisher: confirms each message it sends, or none."""

    def __init__(self, fail=False):
        self.sent, self.fail = [], fail

    def publish(self, messages):
        for n, (routing_key, body) in enumerate(messages):
            if self.fails_at(n):
                return n, OSError("broker away")
            self.sent.append((json.loads(body)["id"], routing_key))
        return len(messages), None

    def fails_at(self, n):
        return self.fail


def message(n, type="selection.opened"):
    return json.dumps({"id": f"evt-{n}", "type": type})


def aggregate_of(docs):
    collection = Collection(docs)
    return type("Post", (), {"_get_collection": staticmethod(lambda: collection)}), collection


def relay(publisher=None):
    provider = outbox.OutboxRelay()
    provider.service_name, provider.publisher, provider._inflight = "nomination", publisher or Publisher(), set()
    provider._unpulled = {}
    return provider


def published(type):
    return metrics.EVENTS_PUBLISHED.labels("nomination", type)._value.get()


def test_flush_publishes_oldest_first_by_type_and_pulls_exactly_each_published_envelope():
    cls, collection = aggregate_of([{"_id": "P1", "outbox": [message(1), message(2, "post.closed")], "outbox_n": 2}])
    provider, before = relay(), published("post.closed")
    assert provider.flush(cls, "P1") is True
    assert provider.publisher.sent == [("evt-1", "selection.opened"), ("evt-2", "post.closed")]
    assert collection.docs["P1"]["outbox"] == [] and collection.docs["P1"]["outbox_n"] == 0
    assert collection.reads == [({"_id": "P1"}, {"outbox": 1})]
    assert published("post.closed") == before + 1 and provider._inflight == set()


def test_a_documents_envelopes_are_pulled_in_one_write_once_all_are_confirmed():
    cls, collection = aggregate_of([{"_id": "P1", "outbox": [message(1), message(2), message(3)], "outbox_n": 3}])
    relay().flush(cls, "P1", [message(1), message(2)])
    assert collection.writes == 1
    assert collection.docs["P1"]["outbox"] == [message(3)] and collection.docs["P1"]["outbox_n"] == 1


def test_envelopes_another_sweep_pulled_meanwhile_are_not_counted_off_twice():
    cls, collection = aggregate_of([{"_id": "P1", "outbox": [message(2)], "outbox_n": 1}])
    provider = relay()
    provider.flush(cls, "P1", [message(1), message(2)])  # message 1 was pulled by another replica's sweep
    assert provider.publisher.sent == [("evt-1", "selection.opened"), ("evt-2", "selection.opened")]
    assert collection.docs["P1"]["outbox"] == [] and collection.docs["P1"]["outbox_n"] == 0


class FailsAfter(Publisher):
    def fails_at(self, n):
        return n >= 1


def test_a_publish_failing_half_way_pulls_the_confirmed_envelopes_and_keeps_the_rest():
    cls, collection = aggregate_of([{"_id": "P1", "outbox": [message(1), message(2)], "outbox_n": 2}])
    with pytest.raises(OSError):
        relay(FailsAfter()).flush(cls, "P1")
    assert collection.docs["P1"]["outbox"] == [message(2)] and collection.docs["P1"]["outbox_n"] == 1


def test_flush_with_the_writes_outbox_reads_nothing_and_a_missing_document_publishes_nothing():
    cls, collection = aggregate_of([{"_id": "P1", "outbox": [message(1)], "outbox_n": 1}])
    provider = relay()
    provider.flush(cls, "P1", [message(1)])
    assert collection.reads == [] and provider.publisher.sent == [("evt-1", "selection.opened")]
    assert provider.flush(cls, "gone") is True and len(provider.publisher.sent) == 1


def test_a_flush_already_under_way_for_the_document_is_not_doubled():
    cls, _ = aggregate_of([{"_id": "P1", "outbox": [message(1)], "outbox_n": 1}])
    provider = relay()
    provider._inflight.add((cls, "P1"))
    assert provider.flush(cls, "P1") is False and provider.publisher.sent == []


def test_a_failed_publish_keeps_the_envelope_and_frees_the_document_for_the_next_flush():
    cls, collection = aggregate_of([{"_id": "P1", "outbox": [message(1)], "outbox_n": 1}])
    provider = relay(Publisher(fail=True))
    with pytest.raises(OSError):
        provider.flush(cls, "P1")
    assert collection.docs["P1"]["outbox_n"] == 1 and provider._inflight == set()


def test_sweep_measures_the_backlog_then_publishes_every_pending_document(monkeypatch):
    cls, collection = aggregate_of(
        [
            {"_id": "P1", "outbox": [message(1), message(2)], "outbox_n": 2},
            {"_id": "P2", "outbox": [], "outbox_n": 0},
            {"_id": "P3", "outbox": [message(3)], "outbox_n": 1},
        ]
    )
    monkeypatch.setattr(outbox, "aggregate_classes", lambda: [cls])
    provider = relay(Publisher(fail=True))
    # the gauge is process-wide: a value left by an earlier run must not pass for this sweep's
    metrics.OUTBOX_BACKLOG.labels("nomination").set(-1)
    with pytest.raises(OSError):
        provider.sweep()
    assert metrics.OUTBOX_BACKLOG.labels("nomination")._value.get() == 3  # measured before the outage bit
    provider.publisher.fail = False
    assert provider.sweep() == 3
    assert [id for id, _ in provider.publisher.sent] == ["evt-1", "evt-2", "evt-3"]
    assert collection.find({"outbox_n": {"$gt": 0}}, {"_id": 1, "outbox_n": 1}) == []


class Wake:
    def __init__(self):
        self.pokes = 0

    def poke(self):
        self.pokes += 1


def test_after_a_worker_each_written_document_is_flushed_and_a_failure_wakes_the_sweep():
    cls, _ = aggregate_of([{"_id": "P1", "outbox": [message(1)], "outbox_n": 1}])
    provider = relay()
    provider.wake = Wake()
    provider.worker_setup(None)
    assert outbox._written.docs == {}
    outbox._written.docs[(cls, "P1")] = [message(1)]
    provider.worker_result(None)
    assert outbox._written.docs is None and provider.publisher.sent == [("evt-1", "selection.opened")]
    assert provider.wake.pokes == 0
    provider.publisher.fail = True
    outbox._written.docs = {(cls, "P1"): [message(1)]}
    provider.worker_result(None)
    assert provider.wake.pokes == 1


def test_after_a_worker_a_flush_already_under_way_wakes_the_sweep_to_look_again():
    cls, _ = aggregate_of([])
    provider = relay()
    provider.wake = Wake()
    provider._inflight.add((cls, "P1"))
    outbox._written.docs = {(cls, "P1"): None}
    provider.worker_result(None)
    assert provider.wake.pokes == 1


def test_a_worker_that_wrote_nothing_flushes_nothing():
    provider = relay()
    provider.worker_result(None)
    assert provider.publisher.sent == [] and outbox._written.docs is None


def test_the_sweep_loop_looks_at_start_when_woken_and_again_while_work_was_left(monkeypatch):
    provider, results, swept, slept = relay(), [2, 0, OSError("database away"), 0], [], []
    provider._stopping = False
    provider.wake = outbox.Wake(safety_seconds=3600)
    provider._untracked_seen = outbox._untracked.generation

    def sweep():
        swept.append(len(slept))
        result = results.pop(0)
        if isinstance(result, Exception):
            raise result
        return result

    def sleep(seconds):
        slept.append(seconds)
        if len(slept) == 2:
            outbox._untracked.poke()  # a write outside any worker, during the second pause
        provider._stopping = len(slept) == 5

    monkeypatch.setenv("OUTBOX_SWEEP_SECONDS", "0.25")
    monkeypatch.setattr(provider, "sweep", sweep)
    monkeypatch.setattr(outbox.eventlet, "sleep", sleep)
    provider._sweep_forever()
    # at start; after 2 were pending; after the untracked write; after the failure; then not until due
    assert swept == [0, 1, 2, 3] and slept == [0.25] * 5


def test_idempotent_insert_is_false_for_a_redelivery_and_true_the_first_time():
    assert idempotency.insert_once(Selection(), event()) is True
    assert idempotency.insert_once(Selection(duplicate=True), event()) is False


def test_idempotent_insert_lets_other_failures_through(monkeypatch):
    def refuse(doc, *envelopes):
        raise Conflict("post P1 is closed", "wrong_stage")

    monkeypatch.setattr(outbox, "insert", refuse)
    with pytest.raises(Conflict):
        idempotency.insert_once(Selection())
    monkeypatch.setattr(outbox, "insert", lambda doc, *e: (_ for _ in ()).throw(NotUniqueError("raw")))
    assert idempotency.insert_once(Selection()) is False


class RecordingPublisher(Publisher):
    """Stands in for ConfirmedPublisher: keeps what the relay configured it with, and what it sent."""

    def __init__(self, amqp_uri, exchange, **options):
        super().__init__()
        self.amqp_uri, self.exchange, self.options = amqp_uri, exchange, options
        self.closed = 0

    def close(self):
        self.closed += 1


class Container:
    """The service container as the relay sees it: its name, its config and its managed threads."""

    def __init__(self):
        self.service_name, self.config, self.spawned = "nomination", {"AMQP_URI": "amqp://broker:5672/"}, []

    def spawn_managed_thread(self, fn, identifier=None):
        self.spawned.append((fn, identifier))


def set_up_relay(monkeypatch):
    monkeypatch.setattr(outbox, "ConfirmedPublisher", RecordingPublisher)
    provider = outbox.OutboxRelay()
    provider.container = Container()
    provider.setup()
    return provider


def test_the_relay_publishes_with_confirms_to_its_services_exchange_over_the_configured_broker(monkeypatch, tmp_path):
    provider = set_up_relay(monkeypatch)
    publisher = provider.publisher
    assert provider.service_name == "nomination" and provider.exchange.name == "nomination.events"
    assert (publisher.amqp_uri, publisher.exchange) == ("amqp://broker:5672/", provider.exchange)
    assert publisher.options == {"ssl": None, "login_method": None}
    # the service's public key is written at setup, before any event signed with its key goes out
    assert (tmp_path / "keys" / "nomination.pub").exists()
    cls, _ = aggregate_of([{"_id": "P1", "outbox": [message(1)], "outbox_n": 1}])
    assert provider.flush(cls, "P1") is True and publisher.sent == [("evt-1", "selection.opened")]


def test_the_relay_starts_its_sweep_loop_as_a_managed_thread_that_looks_at_once(monkeypatch):
    provider = set_up_relay(monkeypatch)
    provider.start()
    assert provider.container.spawned == [(provider._sweep_forever, "outbox-relay")]
    swept = []
    monkeypatch.setattr(provider, "sweep", lambda: swept.append(1) or 0)

    def sleep(seconds):
        provider._stopping = True

    monkeypatch.setattr(outbox.eventlet, "sleep", sleep)
    provider._sweep_forever()
    assert swept == [1]  # a crash may have left events: the first pass looks without being poked


@pytest.mark.parametrize("halt", ["stop", "kill"])
def test_a_stopped_or_killed_relay_sweeps_no_more(monkeypatch, halt):
    provider = set_up_relay(monkeypatch)
    provider.start()
    swept = []
    monkeypatch.setattr(provider, "sweep", lambda: swept.append(1) or 0)

    def sleep(seconds):
        raise AssertionError("the loop went on after the relay was told to end")

    monkeypatch.setattr(outbox.eventlet, "sleep", sleep)
    getattr(provider, halt)()
    provider._sweep_forever()
    assert swept == []


def in_a_new_thread(call):
    """Runs ``call`` where no worker ever ran (``_written`` is thread-local): its result or its exception."""
    outcome = {}

    def run():
        try:
            outcome["result"] = call()
        except Exception as exc:  # handed back to the test
            outcome["error"] = exc

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    if "error" in outcome:
        raise outcome["error"]
    return outcome.get("result")


def test_a_write_in_a_thread_no_worker_ever_ran_in_wakes_the_sweep():
    before = outbox._untracked.generation
    in_a_new_thread(lambda: outbox.insert(Selection(), event()))
    assert outbox._untracked.generation == before + 1


def test_an_insert_inside_a_worker_is_tracked_with_the_events_it_wrote():
    outbox._written.docs = {}
    doc = outbox.insert(Selection(), event())
    assert outbox._written.docs == {(Selection, "S1"): list(doc.outbox)} and len(doc.outbox) == 1


def test_a_worker_result_in_a_thread_no_worker_setup_ran_in_flushes_nothing():
    provider = relay()
    in_a_new_thread(lambda: provider.worker_result(None))
    assert provider.publisher.sent == []


def test_a_deferred_flush_before_the_relay_started_is_left_to_the_first_sweep():
    cls, collection = aggregate_of([{"_id": "P2", "outbox": [message(2)], "outbox_n": 1}])
    provider = relay()  # not started: no wake to poke yet, and the start sweep looks anyway
    provider._inflight.add((cls, "P1"))
    outbox._written.docs = {(cls, "P1"): None}
    provider.worker_result(None)  # under way elsewhere
    provider.publisher.fail = True
    outbox._written.docs = {(cls, "P2"): None}
    provider.worker_result(None)  # the broker is away
    assert provider.publisher.sent == [] and collection.docs["P2"]["outbox_n"] == 1


def test_a_failed_flush_after_a_worker_is_logged_by_its_aggregate(caplog):
    cls, _ = aggregate_of([{"_id": "P1", "outbox": [message(1)], "outbox_n": 1}])
    provider = relay(Publisher(fail=True))
    provider.wake = Wake()
    outbox._written.docs = {(cls, "P1"): [message(1)]}
    with caplog.at_level("WARNING", logger=outbox.log.name):
        provider.worker_result(None)
    [logged] = caplog.records
    assert (logged.getMessage(), logged.aggregate) == ("outbox flush deferred", "Post")


def test_a_failed_sweep_is_logged_by_the_failures_type(monkeypatch, caplog):
    provider = relay()
    provider._stopping = False
    provider.wake = outbox.Wake(safety_seconds=3600)
    provider._untracked_seen = outbox._untracked.generation

    def sweep():
        raise OSError("database away")

    def sleep(seconds):
        provider._stopping = True

    monkeypatch.setattr(provider, "sweep", sweep)
    monkeypatch.setattr(outbox.eventlet, "sleep", sleep)
    with caplog.at_level("WARNING", logger=outbox.log.name):
        provider._sweep_forever()
    assert [r.getMessage() for r in caplog.records] == ["outbox sweep failed: OSError"]


def test_the_pulls_of_flushes_that_end_together_go_in_one_command_each_envelope_exactly():
    cls, collection = aggregate_of(
        [
            {"_id": "P1", "outbox": [message(1), message(2)], "outbox_n": 2},
            {"_id": "P2", "outbox": [message(4)], "outbox_n": 1},  # evt-3 pulled by another replica's sweep
        ]
    )
    outcomes = outbox._send_pulls(
        [(collection, "P1", (message(1), message(2))), (collection, "P2", (message(3), message(4)))]
    )
    assert outcomes == [None, None] and collection.writes == 1
    assert [(d["outbox"], d["outbox_n"]) for d in collection.docs.values()] == [([], 0), ([], 0)]


def test_a_document_is_free_for_the_next_flush_while_its_last_pull_waits_and_nothing_goes_out_twice(monkeypatch):
    cls, collection = aggregate_of([{"_id": "P1", "outbox": [message(1)], "outbox_n": 1}])
    provider, pull, nested = relay(), outbox._pull, []

    def lingering_pull(coll, pk, messages):
        if not nested:  # the next write of the document lands, and its worker flushes, while this pull waits
            nested.append(True)
            collection.docs["P1"]["outbox"].append(message(2))
            collection.docs["P1"]["outbox_n"] += 1
            assert provider.flush(cls, "P1", [message(1), message(2)]) is True
        pull(coll, pk, messages)

    monkeypatch.setattr(outbox, "_pull", lingering_pull)
    assert provider.flush(cls, "P1", [message(1)]) is True
    assert provider.publisher.sent == [("evt-1", "selection.opened"), ("evt-2", "selection.opened")]
    assert collection.docs["P1"]["outbox"] == [] and collection.docs["P1"]["outbox_n"] == 0
    assert provider._unpulled == {} and provider._inflight == set()


def test_envelopes_whose_pull_failed_are_published_again_by_the_next_flush(monkeypatch):
    cls, collection = aggregate_of([{"_id": "P1", "outbox": [message(1)], "outbox_n": 1}])
    provider, pull = relay(), outbox._pull

    def fails(coll, pk, messages):
        raise OSError("database away")

    monkeypatch.setattr(outbox, "_pull", fails)
    with pytest.raises(OSError):
        provider.flush(cls, "P1", [message(1)])
    assert provider._unpulled == {} and collection.docs["P1"]["outbox_n"] == 1
    monkeypatch.setattr(outbox, "_pull", pull)
    provider.flush(cls, "P1")  # the sweep's: at least once
    assert provider.publisher.sent == [("evt-1", "selection.opened")] * 2 and collection.docs["P1"]["outbox"] == []


def test_a_sender_lingering_for_company_takes_the_calls_that_came_meanwhile(monkeypatch):
    monkeypatch.setenv("OUTBOX_PULL_LINGER_SECONDS", "0.2")
    cls, collection = aggregate_of([{"_id": f"P{n}", "outbox": [message(n)], "outbox_n": 1} for n in (1, 2, 3)])
    provider = relay()
    threads = [threading.Thread(target=provider.flush, args=(cls, f"P{n}", [message(n)])) for n in (1, 2, 3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(5)
    assert collection.writes == 1 and all(doc["outbox_n"] == 0 for doc in collection.docs.values())


class Pushes:
    """A collection as ``outbox.append`` sees it: records each update, matching ``matched`` documents."""

    def __init__(self, matched=1):
        self.updates, self.matched = [], matched

    def update_one(self, query, update):
        self.updates.append((query, update))
        return type("Result", (), {"matched_count": self.matched})()


def test_append_pushes_the_events_and_the_requests_mark_in_one_update_and_tracks_the_known_outbox():
    collection = Pushes()
    cls = type("Sheet", (), {"_get_collection": staticmethod(lambda: collection)})
    outbox._written.docs = {}
    sent = event(1)
    with aggregate.running("K1"):
        assert outbox.append(cls, "H1", [sent], pending=["older"]) is True
    [(query, update)] = collection.updates
    [message] = update["$push"]["outbox"]["$each"]
    assert query == {"_id": "H1"} and update["$inc"] == {"outbox_n": 1}
    assert update["$push"]["handled"] == aggregate.mark_of("K1") and json.loads(message)["id"] == sent["id"]
    assert outbox._written.docs == {(cls, "H1"): ["older", message]}
    assert signing.verify_envelope(json.loads(message), source="nomination") is None


def test_append_to_no_document_tracks_nothing():
    collection = Pushes(matched=0)
    cls = type("Sheet", (), {"_get_collection": staticmethod(lambda: collection)})
    outbox._written.docs = {}
    assert outbox.append(cls, "gone", [event(1)]) is False and outbox._written.docs == {}
