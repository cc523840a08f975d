"""Event handlers that survive poison: bounded attempts, then the dead-letter queue.

A failed delivery is re-queued at the tail of its queue (so it never blocks what is behind it)
with an attempt counter in its headers; after ``EVENT_MAX_ATTEMPTS`` it is rejected into the
dead-letter exchange, where ``python -m services.common.deadletters`` can inspect and replay it.
"""
import logging

from amqp.exceptions import ConnectionError as AmqpConnectionError
from kombu import Exchange, Queue
from kombu.exceptions import OperationalError
from nameko.amqp.publish import get_producer
from nameko.constants import PERSISTENT
from nameko.events import EventHandler

from services.common import config, metrics
from services.common.outbox import event_exchange

log = logging.getLogger(__name__)

# The broker went away: what publishing or acking raises then.
BROKER_LOST = (OperationalError, AmqpConnectionError, OSError)

DEAD_LETTER_EXCHANGE = "cadre.dead-letters"
DEAD_LETTER_QUEUE = "cadre.dead-letters"
ATTEMPTS_HEADER = "x-cadre-attempts"


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
