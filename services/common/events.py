"""Event handlers that survive poison: bounded attempts, then the dead-letter queue.

A failed delivery is re-queued at the tail of its queue (so it never blocks what is behind it)
with an attempt counter in its headers; after ``EVENT_MAX_ATTEMPTS`` it is rejected into the
dead-letter exchange, where ``python -m services.common.deadletters`` can inspect and replay it.
"""

import logging

import eventlet
from amqp.exceptions import ConnectionError as AmqpConnectionError
from kombu import Exchange, Queue
from kombu.exceptions import OperationalError
from nameko.amqp.publish import get_producer
from nameko.constants import PERSISTENT
from nameko.events import EventHandler

from services.common import config, metrics, signing
from services.common.outbox import event_exchange

log = logging.getLogger(__name__)

# The broker went away: what publishing or acking raises then.
BROKER_LOST = (OperationalError, AmqpConnectionError, OSError)

DEAD_LETTER_EXCHANGE = "cadre.dead-letters"
DEAD_LETTER_QUEUE = "cadre.dead-letters"
ATTEMPTS_HEADER = "x-cadre-attempts"
# How long an event whose producer's public key is not known yet waits before it is tried again.
KEY_WAIT_SECONDS = 1.0


def dead_letter_queue():
    return Queue(
        DEAD_LETTER_QUEUE,
        exchange=Exchange(DEAD_LETTER_EXCHANGE, type="topic", durable=True),
        routing_key="#",
        durable=True,
    )


class ReliableEventHandler(EventHandler):
    """A service-pool handler on a durable queue, acked after its effect, with bounded retries."""

    def __init__(self, source_service, event_type, **kwargs):
        super().__init__(source_service, event_type, reliable_delivery=True, requeue_on_error=False, **kwargs)

    def setup(self):
        service_name = self.container.service_name
        queue_name = f"evt-{self.source_service}-{self.event_type}--{service_name}.{self.method_name}"
        self.queue = Queue(
            queue_name,
            exchange=event_exchange(self.source_service),
            routing_key=self.event_type,
            durable=True,
            auto_delete=False,
            queue_arguments={"x-dead-letter-exchange": DEAD_LETTER_EXCHANGE},
        )
        # Consumer.setup, not EventHandler.setup: that one would rebuild the queue without the DLX.
        super(EventHandler, self).setup()
        # The dead-letter queue must exist before the first rejection, or RabbitMQ drops it.
        with get_producer(self.amqp_uri) as producer:
            dead_letter_queue()(producer.channel).declare()

    def handle_message(self, body, message):
        """Run the handler only for an envelope its source signed (DESIGN.md "Security")."""
        try:
            signing.verify_envelope(body, source=self.source_service)
        except signing.Rejected as refused:
            # A forgery is not retried: it would never verify. Dead-lettered, so an operator sees it.
            log.error("event dead-lettered unhandled, %s: %s", refused.reason, self.event_type)
            metrics.EVENTS_REJECTED.labels(self.container.service_name, refused.reason).inc()
            try:
                if message.channel.connection:
                    message.reject(requeue=False)
            except BROKER_LOST:
                pass  # redelivered after the reconnect, and refused again
            return
        except signing.KeyUnknown:
            # Its producer has not written its public key yet (both starting): not a forgery, so back
            # into the queue after a pause, without counting an attempt. Everything in this queue comes
            # from that one source, so nothing behind it could be handled meanwhile anyway.
            log.warning("event from %s waits for its public key: %s", self.source_service, self.event_type)
            eventlet.spawn_after(KEY_WAIT_SECONDS, self._requeue, message)
            return
        super().handle_message(body, message)

    def _requeue(self, message):
        try:
            self.consumer.requeue_message(message)
        except BROKER_LOST:
            pass  # the broker reclaimed it with the connection and delivers it again

    def handle_message_processed(self, message, result=None, exc_info=None):
        try:
            self._settle(message, exc_info)
        except BROKER_LOST as exc:
            # The broker went away: unacked, the event is redelivered after the reconnect (handlers are
            # idempotent). Letting this escape would kill the whole service container.
            log.warning("event %s not settled, the broker is unreachable: %s", self.event_type, type(exc).__name__)

    def _settle(self, message, exc_info):
        if exc_info is None:
            self.consumer.ack_message(message)
            return
        attempts = int((message.headers or {}).get(ATTEMPTS_HEADER, 1))
        # not the delivery's routing key: a retry arrives through the default exchange keyed by the queue name
        event_type = self.event_type
        service = self.container.service_name
        if attempts < config.get_int("EVENT_MAX_ATTEMPTS"):
            headers = dict(message.headers or {})
            headers[ATTEMPTS_HEADER] = attempts + 1
            with get_producer(self.amqp_uri) as producer:
                producer.publish(
                    message.body,
                    exchange="",
                    routing_key=self.queue.name,
                    headers=headers,
                    content_type=message.content_type,
                    content_encoding=message.content_encoding,
                    delivery_mode=PERSISTENT,
                )
            self.consumer.ack_message(message)
            metrics.EVENTS_RETRIED.labels(service, event_type).inc()
        else:
            log.error("event dead-lettered after %d attempts: %s", attempts, event_type)
            if message.channel.connection:  # else the broker has already reclaimed it
                message.reject(requeue=False)
            metrics.EVENTS_DEAD_LETTERED.labels(service, event_type).inc()


event_handler = ReliableEventHandler.decorator
