"""Event handlers' decisions with fake messages: ack, retry at the tail with a counted attempt, dead-letter."""

import pytest

from services.common import events, metrics, signing


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
    published = []

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    @property
    def channel(self):
        return self

    def publish(self, body, **kwargs):
        Producer.published.append((body, kwargs))


@pytest.fixture
def handler(monkeypatch):
    Producer.published = []
    monkeypatch.setattr(events, "get_producer", lambda uri: Producer())
    monkeypatch.setenv("EVENT_MAX_ATTEMPTS", "3")
    made = events.ReliableEventHandler("nomination", "selection.opened")
    made.container = type("Container", (), {"service_name": "supervision"})()
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
