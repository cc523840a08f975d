"""Event handlers' decisions with fake messages: ack, retry at the tail with a counted attempt, dead-letter."""

import logging

import pytest

from services.common import events, metrics, signing
from services.common.envelope import make_envelope
from tests.unit.common import fakes


class Message:
    def __init__(self, headers=None, connected=True):
        self.headers, self.body = headers, b'{"id": "evt-1"}'
        self.content_type, self.content_encoding = "application/json", "utf-8"
        self.channel = type("Channel", (), {"connection": object() if connected else None})()
        self.rejected = []

    def reject(self, requeue):
        self.rejected.append(requeue)


class Consumer:
    def __init__(self):
        self.acked, self.requeued = [], []

    def ack_message(self, message):
        self.acked.append(message)

    def requeue_message(self, message):
        self.requeued.append(message)


class Producer:
    published, uris = [], []

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    @property
    def channel(self):
        return self

    def publish(self, body, **kwargs):
        Producer.published.append((body, kwargs))


class Channel:
    """Records what is declared on it, as a kombu channel would be asked."""

    def __init__(self):
        self.calls = []

    def __getattr__(self, name):
        def record(*args, **kwargs):
            self.calls.append((name, kwargs))

        return record


@pytest.fixture
def handler(monkeypatch):
    Producer.published, Producer.uris = [], []
    monkeypatch.setattr(events, "get_producer", lambda uri: Producer.uris.append(uri) or Producer())
    monkeypatch.setenv("EVENT_MAX_ATTEMPTS", "3")
    made = events.ReliableEventHandler("nomination", "selection.opened")
    made.container = fakes.Container()
    monkeypatch.setattr(events.ReliableEventHandler, "amqp_uri", "amqp://test")  # not nameko's global config
    made.consumer, made.method_name = Consumer(), "open_reviews"
    made.queue = type("Queue", (), {"name": "evt-nomination-selection.opened--supervision.open_reviews"})()
    return made


def count(counter, *labels):
    return counter.labels(*labels)._value.get()


def test_the_dead_letter_queue_takes_every_routing_key_from_its_durable_exchange():
    queue = events.dead_letter_queue()
    assert (queue.name, queue.routing_key, queue.durable) == ("cadre.dead-letters", "#", True)
    assert (queue.exchange.name, queue.exchange.type, queue.exchange.durable) == ("cadre.dead-letters", "topic", True)


def test_a_handled_event_is_acked(handler):
    message = Message()
    handler.handle_message_processed(message)
    assert handler.consumer.acked == [message] and Producer.published == []


def test_a_failed_first_delivery_goes_to_the_queues_tail_as_attempt_two(handler):
    message, before = Message(), count(metrics.EVENTS_RETRIED, "supervision", "selection.opened")
    handler.handle_message_processed(message, exc_info=(ValueError, ValueError(), None))
    assert handler.consumer.acked == [message] and message.rejected == []
    assert Producer.published == [
        (
            b'{"id": "evt-1"}',
            {
                "exchange": "",
                "routing_key": "evt-nomination-selection.opened--supervision.open_reviews",
                "headers": {"x-cadre-attempts": 2},
                "content_type": "application/json",
                "content_encoding": "utf-8",
                "delivery_mode": 2,
            },
        )
    ]
    assert count(metrics.EVENTS_RETRIED, "supervision", "selection.opened") == before + 1
    assert Producer.uris == ["amqp://test"]  # the service's own broker, not nameko's default


def test_a_retry_keeps_the_other_headers_and_counts_up(handler):
    handler.handle_message_processed(Message({"x-cadre-attempts": 2, "trace": "t1"}), exc_info=(ValueError,))
    assert Producer.published[0][1]["headers"] == {"x-cadre-attempts": 3, "trace": "t1"}


def test_the_last_attempt_is_dead_lettered_not_retried(handler):
    message, before = (
        Message({"x-cadre-attempts": 3}),
        count(metrics.EVENTS_DEAD_LETTERED, "supervision", "selection.opened"),
    )
    handler.handle_message_processed(message, exc_info=(ValueError,))
    assert message.rejected == [False] and handler.consumer.acked == [] and Producer.published == []
    assert count(metrics.EVENTS_DEAD_LETTERED, "supervision", "selection.opened") == before + 1


def test_a_message_the_broker_already_reclaimed_is_not_rejected_again(handler):
    message = Message({"x-cadre-attempts": 3}, connected=False)
    handler.handle_message_processed(message, exc_info=(ValueError,))
    assert message.rejected == []


def test_a_broker_lost_while_settling_leaves_the_event_unacked_and_the_service_up(handler, monkeypatch):
    def lost(message):
        raise ConnectionResetError("broker away")

    monkeypatch.setattr(handler.consumer, "ack_message", lost)
    handler.handle_message_processed(Message())  # does not raise


def test_an_event_not_signed_by_its_source_is_dead_lettered_unhandled(handler, monkeypatch):
    def forged(body, source):
        assert source == "nomination"
        raise signing.Rejected("wrong_signer", "signed by examination")

    monkeypatch.setattr(signing, "verify_envelope", forged)
    message, before = Message(), count(metrics.EVENTS_REJECTED, "supervision", "wrong_signer")
    handler.handle_message({"id": "evt-1"}, message)
    assert message.rejected == [False] and handler.consumer.acked == []
    assert count(metrics.EVENTS_REJECTED, "supervision", "wrong_signer") == before + 1


def test_an_event_whose_producers_key_is_unknown_waits_and_is_requeued_uncounted(handler, monkeypatch):
    def unknown(body, source):
        raise signing.KeyUnknown("nomination")

    later = []
    monkeypatch.setattr(signing, "verify_envelope", unknown)
    monkeypatch.setattr(events.eventlet, "spawn_after", lambda seconds, fn, *a: later.append((seconds, fn, a)))
    message = Message()
    handler.handle_message({"id": "evt-1"}, message)
    assert [(seconds, args) for seconds, _, args in later] == [(events.KEY_WAIT_SECONDS, (message,))]
    later[0][1](*later[0][2])
    assert handler.consumer.requeued == [message] and message.rejected == [] and Producer.published == []


@pytest.fixture
def signed_by_nomination(data_dir):
    # keys made in the throw-away data dir: the envelope's source signs it and its public key is known
    return signing.sign_envelope(make_envelope("selection.opened", "nomination", "selection:S1", {"selection": "S1"}))


def test_the_handler_is_reliable_delivery_without_nameko_requeueing_on_error():
    made = events.ReliableEventHandler("nomination", "selection.opened", expected_exceptions=(KeyError,))
    assert (made.source_service, made.event_type) == ("nomination", "selection.opened")
    assert made.reliable_delivery is True and made.requeue_on_error is False
    assert made.expected_exceptions == (KeyError,)  # the decorator's other options reach nameko


def test_setup_consumes_a_durable_queue_per_handler_that_dead_letters_and_declares_the_dead_letter_queue(
    handler, monkeypatch
):
    channel = Channel()
    monkeypatch.setattr(Producer, "channel", channel)
    handler.setup()
    queue = handler.queue
    assert queue.name == "evt-nomination-selection.opened--supervision.open_reviews"
    assert (queue.exchange.name, queue.exchange.type, queue.exchange.durable) == ("nomination.events", "topic", True)
    assert (queue.routing_key, queue.durable, queue.auto_delete) == ("selection.opened", True, False)
    assert queue.queue_arguments == {"x-dead-letter-exchange": "cadre.dead-letters"}
    # nameko's consumer reads this very queue (not one EventHandler.setup would rebuild without the DLX)
    assert handler.consumer.queues == [queue] and handler.consumer.callbacks == [handler.handle_message]
    assert Producer.uris == ["amqp://test"]
    declared = [(name, kwargs.get("exchange"), kwargs.get("queue")) for name, kwargs in channel.calls]
    assert ("exchange_declare", "cadre.dead-letters", None) in declared
    assert ("queue_declare", None, "cadre.dead-letters") in declared
    assert ("queue_bind", "cadre.dead-letters", "cadre.dead-letters") in declared


def test_an_event_signed_by_its_source_reaches_the_handler_with_its_context(handler, signed_by_nomination):
    message = Message({"nameko.cadre_correlation_id": "c1"})
    handler.handle_message(signed_by_nomination, message)
    assert handler.container.workers == [(handler, (signed_by_nomination,), {}, {"cadre_correlation_id": "c1"})]
    assert message.rejected == []


def test_a_forged_event_is_judged_on_its_own_body(handler, signed_by_nomination):
    altered = dict(signed_by_nomination, subject="selection:S2")
    message = Message({})
    handler.handle_message(altered, message)
    assert message.rejected == [False] and handler.container.workers == []


def test_the_logs_name_the_event_and_why(handler, monkeypatch, caplog):
    def forged(body, source):
        raise signing.Rejected("wrong_signer", "signed by examination")

    def unknown(body, source):
        raise signing.KeyUnknown("nomination")

    def lost(message):
        raise ConnectionResetError("broker away")

    monkeypatch.setattr(events.eventlet, "spawn_after", lambda *a: None)
    with caplog.at_level(logging.WARNING, logger=events.log.name):
        monkeypatch.setattr(signing, "verify_envelope", forged)
        handler.handle_message({"id": "evt-1"}, Message())
        monkeypatch.setattr(signing, "verify_envelope", unknown)
        handler.handle_message({"id": "evt-1"}, Message())
        handler.handle_message_processed(Message({"x-cadre-attempts": 3}), exc_info=(ValueError,))
        monkeypatch.setattr(handler.consumer, "ack_message", lost)
        handler.handle_message_processed(Message())
    rejected, waiting, dead, unsettled = [record.getMessage() for record in caplog.records]
    assert rejected == "event dead-lettered unhandled, wrong_signer: selection.opened"
    assert waiting == "event from nomination waits for its public key: selection.opened"
    assert dead == "event dead-lettered after 3 attempts: selection.opened"
    assert unsettled == "event selection.opened not settled, the broker is unreachable: ConnectionResetError"
