"""The relay's publisher over the real RabbitMQ: events confirmed in order, concurrent publishes sharing one wait
for the confirms, and a lost connection costing only what the broker did not confirm."""

import json
import threading
import uuid

import pika
import pytest
from kombu import Exchange

from services.common import confirms
from services.common.confirms import ConfirmedPublisher


@pytest.fixture
def exchange(suite):
    name = f"confirms-{uuid.uuid4().hex[:6]}.events"
    return Exchange(name, type="topic", durable=True, auto_delete=False)


@pytest.fixture
def tap(suite, exchange):
    """A queue bound to every event of the exchange (declared first, so nothing published is lost)."""
    connection = pika.BlockingConnection(pika.URLParameters(suite.env["AMQP_URI"]))
    channel = connection.channel()
    channel.exchange_declare(exchange.name, "topic", durable=True)
    queue = channel.queue_declare("", exclusive=True).method.queue
    channel.queue_bind(queue, exchange.name, "#")

    def drain():
        got = []
        while True:
            method, properties, body = channel.basic_get(queue, auto_ack=True)
            if method is None:
                return got
            got.append((method.routing_key, properties.content_type, properties.delivery_mode, json.loads(body)))

    yield drain
    connection.close()


@pytest.fixture
def publisher(suite, exchange):
    made = ConfirmedPublisher(suite.env["AMQP_URI"], exchange)
    yield made
    made.close()


def events(*ids):
    return [("selection.opened", json.dumps({"id": id, "type": "selection.opened"})) for id in ids]


def test_events_are_confirmed_and_arrive_in_order_as_persistent_json(publisher, tap):
    assert publisher.publish(events("e1", "e2", "e3")) == (3, None)
    got = tap()
    assert [body["id"] for *_, body in got] == ["e1", "e2", "e3"]
    assert {(key, kind, mode) for key, kind, mode, _ in got} == {("selection.opened", "application/json", 2)}


def test_concurrent_publishes_share_a_send_and_each_hears_its_own_count(publisher, tap, monkeypatch):
    sends, real = [], publisher._send

    def counted(batches):
        sends.append(len(batches))
        return real(batches)

    monkeypatch.setattr(publisher, "_send", counted)
    publisher._group._send = counted
    answers, start = {}, threading.Barrier(8)

    def worker(n):
        start.wait()
        answers[n] = publisher.publish(events(f"w{n}-a", f"w{n}-b"))

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert answers == {n: (2, None) for n in range(8)}
    assert sum(sends) == 8 and len(sends) < 8  # some shared a wait for the confirms
    ids = [body["id"] for *_, body in tap()]
    assert sorted(ids) == sorted(f"w{n}-{x}" for n in range(8) for x in "ab")
    assert all(ids.index(f"w{n}-a") < ids.index(f"w{n}-b") for n in range(8))


def test_a_lost_connection_is_no_confirm_and_the_next_publish_connects_again(publisher, tap):
    assert publisher.publish(events("before")) == (1, None)
    publisher._connection.connection.sock.close()  # the broker gone under an idle connection
    confirmed, error = publisher.publish(events("lost"))
    assert confirmed == 0 and error is not None and publisher._channel is None
    assert publisher.publish(events("after")) == (1, None)
    assert [body["id"] for *_, body in tap()][-1] == "after"


def test_no_confirm_in_time_is_no_confirm(publisher, monkeypatch):
    assert publisher.publish(events("connected")) == (1, None)
    monkeypatch.setattr(confirms, "CONFIRM_TIMEOUT", 0.0)
    confirmed, error = publisher.publish(events("slow"))
    assert confirmed == 0 and isinstance(error, confirms.Unconfirmed)
