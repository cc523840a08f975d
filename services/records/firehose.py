"""The firehose: one durable queue bound with ``#`` to every service's events exchange (pika).

The queue is single-active-consumer, so when several records replicas run exactly one of them
writes at a time and entries keep the order the broker delivered them in, without a lock of our
own. Each message is handled by a nameko worker, one at a time, and acked manually after the
worker's write. A message whose handler keeps failing is rejected into the dead-letter exchange
after ``EVENT_MAX_ATTEMPTS``, so one poison event never stalls the log.
"""
import json
import logging
from collections import OrderedDict

import eventlet
import pika
from nameko.extensions import Entrypoint

from services.common import config, metrics
from services.common.events import DEAD_LETTER_EXCHANGE, dead_letter_queue

log = logging.getLogger(__name__)

QUEUE = "records.firehose"
SOURCES = ("nomination", "examination", "supervision", "gateway")


def declare(channel):
    """Declare the firehose queue, its bindings and the dead-letter queue (idempotent)."""
    dlq = dead_letter_queue()
    channel.exchange_declare(DEAD_LETTER_EXCHANGE, exchange_type="topic", durable=True)
    channel.queue_declare(dlq.name, durable=True)
    channel.queue_bind(dlq.name, DEAD_LETTER_EXCHANGE, routing_key="#")
    channel.queue_declare(
        QUEUE,
        durable=True,
        arguments={"x-single-active-consumer": True, "x-dead-letter-exchange": DEAD_LETTER_EXCHANGE},
    )
    for source in SOURCES:
        exchange = f"{source}.events"
        channel.exchange_declare(exchange, exchange_type="topic", durable=True, auto_delete=False)
        channel.queue_bind(QUEUE, exchange, routing_key="#")


class Firehose(Entrypoint):
    """Entrypoint: the decorated method receives every envelope on the bus, in order."""

    def setup(self):
        self.amqp_uri = self.container.config["AMQP_URI"]
        self._stopping = False
        self.connected = False
        self._failures = OrderedDict()  # envelope id -> failed attempts (bounded)

    def start(self):
        self.container.spawn_managed_thread(self._consume_forever, identifier="records-firehose")

    def stop(self):
        self._stopping = True

    def kill(self):
        self._stopping = True

    def _consume_forever(self):
        while not self._stopping:
            try:
                self._consume()
            except Exception as exc:
                self.connected = False
                if not self._stopping:
                    log.warning("firehose connection lost (%s); reconnecting", type(exc).__name__)
                    eventlet.sleep(1)

    def _consume(self):
        params = pika.URLParameters(self.amqp_uri)
        params.heartbeat = 30
        params.blocked_connection_timeout = 30
        connection = pika.BlockingConnection(params)
        try:
            channel = connection.channel()
            declare(channel)
            channel.basic_qos(prefetch_count=256)
            channel.basic_consume(QUEUE, self._on_message, auto_ack=False)
            self.connected = True
            while not self._stopping:
                connection.process_data_events(time_limit=0.2)
                eventlet.sleep(0)
        finally:
            self.connected = False
            if connection.is_open:
                try:
                    connection.close()
                except Exception:
                    pass

    def _handle(self, envelope):
        done = eventlet.event.Event()

        def handle_result(worker_ctx, result=None, exc_info=None):
            done.send(exc_info)
            return result, exc_info

        self.container.spawn_worker(self, (envelope,), {}, handle_result=handle_result)
        return done.wait()

    def _on_message(self, channel, method, properties, body):
        try:
            envelope = json.loads(body)
            key = str(envelope.get("id"))
        except ValueError:
            log.error("firehose: undecodable message dead-lettered")
            channel.basic_reject(method.delivery_tag, requeue=False)
            return
        exc_info = self._handle(envelope)
        if exc_info is None:
            self._failures.pop(key, None)
            channel.basic_ack(method.delivery_tag)
            return
        attempts = self._failures.pop(key, 0) + 1
        if attempts >= config.get_int("EVENT_MAX_ATTEMPTS"):
            log.error("firehose: event dead-lettered after %d attempts: %s", attempts, envelope.get("type"))
            metrics.EVENTS_DEAD_LETTERED.labels("records", str(envelope.get("type"))).inc()
            channel.basic_reject(method.delivery_tag, requeue=False)
            return
        self._failures[key] = attempts
        while len(self._failures) > 10000:
            self._failures.popitem(last=False)
        eventlet.sleep(min(0.1 * attempts, 1))
        channel.basic_nack(method.delivery_tag, requeue=True)


firehose = Firehose.decorator
