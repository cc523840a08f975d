"""The firehose: one durable queue bound with ``#`` to every service's events exchange (pika).

The queue is single-active-consumer, so when several records replicas run exactly one of them
writes at a time and entries keep the order the broker delivered them in, without a lock of our
own. Manual entries reach the same queue through the default exchange (routing key = the queue
name), so they take their place in that one order too.

Messages are handled in batches: whatever has arrived (up to ``RECORDS_BATCH_MAX``, waiting up to
``RECORDS_BATCH_LINGER_SECONDS`` after the first for company unless a manual entry is among them) goes to
one nameko worker, which writes it with one ``insert_many``; the batch is acked after that write.
A message that is not an envelope is rejected into the dead-letter exchange at once; a batch whose
write keeps failing for a reason other than a lost database connection is retried, and each of its
messages is dead-lettered after ``EVENT_MAX_ATTEMPTS``, so one poison event never stalls the log.
Every message is verified as it arrives (services/common/signing.py): an event not signed by the
service whose exchange it came on, or a manual entry not signed by records, is dead-lettered
unrecorded; one whose signer's public key is not known yet holds the log back until it is.
"""

import json
import logging
import time
from collections import OrderedDict

import eventlet
import pika
from nameko.extensions import Entrypoint
from pymongo.errors import ConnectionFailure

from services.common import config, metrics, signing
from services.common.events import DEAD_LETTER_EXCHANGE, dead_letter_queue

log = logging.getLogger(__name__)

QUEUE = "records.firehose"
QUEUE_ARGUMENTS = {"x-single-active-consumer": True, "x-dead-letter-exchange": DEAD_LETTER_EXCHANGE}
SOURCES = ("nomination", "examination", "supervision")
MANUAL = "manual"


def declare(channel):
    """Declare the firehose queue, its bindings and the dead-letter queue (idempotent)."""
    dlq = dead_letter_queue()
    channel.exchange_declare(DEAD_LETTER_EXCHANGE, exchange_type="topic", durable=True)
    channel.queue_declare(dlq.name, durable=True)
    channel.queue_bind(dlq.name, DEAD_LETTER_EXCHANGE, routing_key="#")
    channel.queue_declare(QUEUE, durable=True, arguments=QUEUE_ARGUMENTS)
    for source in SOURCES:
        exchange = f"{source}.events"
        channel.exchange_declare(exchange, exchange_type="topic", durable=True, auto_delete=False)
        channel.queue_bind(QUEUE, exchange, routing_key="#")


def manual_message(request_id, fields):
    """The body the manual-entry RPC puts on the firehose (through the default exchange), signed by
    records: anyone on the broker can reach the queue through the default exchange."""
    return signing.sign_document(signing.signing_key("records"), {"kind": MANUAL, "id": request_id, "fields": fields})


def check(exchange, payload, manual):
    """None if the message may be recorded, else ``Rejected``/``KeyUnknown`` (signing) to refuse it with."""
    try:
        if manual:
            signing.verify_document(payload, "records")
        else:
            # On a service's exchange only that service's events; the default exchange names no one.
            source = exchange[: -len(".events")] if exchange.endswith(".events") else None
            signing.verify_envelope(payload, source=source)
    except (signing.Rejected, signing.KeyUnknown) as refused:
        return refused
    return None


class Firehose(Entrypoint):
    """Entrypoint: the decorated method receives lists of ``{"manual", "payload", "waiting"}`` in delivery order
    and returns the indexes of the messages that are poison (rejected, never retried)."""

    def setup(self):
        self.amqp_uri = self.container.config["AMQP_URI"]
        self._stopping = False
        self.connected = False
        self._pending = []  # (delivery_tag, message) waiting for the next batch
        self._begun = 0.0  # when the first of them arrived (monotonic)
        self._failures = OrderedDict()  # message key -> failed attempts (bounded)

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
                self._pending = []  # unacked: the broker redelivers them to whoever consumes next
                if not self._stopping:
                    log.warning("firehose connection lost (%s); reconnecting", type(exc).__name__)
                    eventlet.sleep(1)

    def _consume(self):
        nodes = []
        for uri in config.amqp_uris(self.amqp_uri):  # every node of a cluster, tried in turn
            params = pika.URLParameters(uri)
            params.heartbeat = 30
            params.blocked_connection_timeout = 30
            nodes.append(params)
        connection = pika.BlockingConnection(nodes)
        batch_max = max(1, config.get_int("RECORDS_BATCH_MAX"))
        try:
            channel = connection.channel()
            declare(channel)
            channel.basic_qos(prefetch_count=2 * batch_max)
            channel.basic_consume(QUEUE, self._on_message, auto_ack=False)
            self.connected = True
            while not self._stopping:
                before = len(self._pending)
                connection.process_data_events(time_limit=self._wait_seconds())
                arrived = len(self._pending) - before
                # Write when the batch is full, or when nothing more came in and the batch has lingered (or
                # holds a manual entry, whose RPC waits for it): low latency when idle, big batches under load.
                if self._pending and (len(self._pending) >= batch_max or (arrived == 0 and self._due())):
                    waiting = next((i for i, (_, m) in enumerate(self._pending) if m["waiting"]), None)
                    if waiting == 0:
                        self._wait_for_key(channel)
                        continue
                    size = min(batch_max, waiting or batch_max)
                    batch, self._pending = self._pending[:size], self._pending[size:]
                    self._write(channel, batch)
                eventlet.sleep(0)
        finally:
            self.connected = False
            if connection.is_open:
                try:
                    connection.close()
                except Exception:
                    pass

    def _wait_seconds(self):
        """How long the next poll may block: at rest a while, with a batch begun what is left of its linger."""
        if not self._pending:
            return 0.2
        if self._due():
            return 0
        return max(0.0, self._begun + config.get_float("RECORDS_BATCH_LINGER_SECONDS") - time.monotonic())

    def _due(self):
        # A batch of one costs the writer a worker, a database command and an ack: under a steady trickle of
        # events a few milliseconds' wait halves that. A manual entry's caller is waiting: no linger then.
        if any(message["manual"] for _, message in self._pending):
            return True
        return time.monotonic() - self._begun >= config.get_float("RECORDS_BATCH_LINGER_SECONDS")

    def _wait_for_key(self, channel):
        """The oldest message's signer is not known yet: give it and all behind it back, in order, later."""
        log.warning("firehose: waiting for the public key of %s", self._pending[0][1]["payload"].get("source"))
        eventlet.sleep(1)
        last_tag = max(tag for tag, _ in self._pending)
        self._pending = []
        channel.basic_nack(last_tag, multiple=True, requeue=True)

    def _on_message(self, channel, method, properties, body):
        try:
            payload = json.loads(body)
        except ValueError:
            payload = None
        if not isinstance(payload, dict):
            log.error("firehose: undecodable message dead-lettered")
            channel.basic_reject(method.delivery_tag, requeue=False)
            return
        # Only the default exchange carries manual entries; on an events exchange it is just a bad envelope.
        manual = method.exchange == "" and payload.get("kind") == MANUAL
        refused = check(method.exchange, payload, manual)
        if isinstance(refused, signing.Rejected):
            log.error("firehose: message dead-lettered unrecorded, %s", refused.reason)
            metrics.EVENTS_REJECTED.labels("records", refused.reason).inc()
            channel.basic_reject(method.delivery_tag, requeue=False)
            return
        # A source whose public key is not known yet holds the log back (order matters), unrejected.
        waiting = refused is not None
        if not self._pending:
            self._begun = time.monotonic()
        self._pending.append((method.delivery_tag, {"manual": manual, "payload": payload, "waiting": waiting}))

    def _handle(self, messages):
        done = eventlet.event.Event()

        def handle_result(worker_ctx, result=None, exc_info=None):
            done.send((result, exc_info))
            return result, exc_info

        self.container.spawn_worker(self, (messages,), {}, handle_result=handle_result)
        return done.wait()

    def _write(self, channel, batch):
        result, exc_info = self._handle([message for _, message in batch])
        if exc_info is None:
            poison = set(result or ())
            for index in sorted(poison):
                channel.basic_reject(batch[index][0], requeue=False)
            if poison:
                for index, (tag, _) in enumerate(batch):
                    if index not in poison:
                        channel.basic_ack(tag)
            else:
                channel.basic_ack(batch[-1][0], multiple=True)
            for _, message in batch:
                self._failures.pop(_key(message), None)
            return
        transient = isinstance(exc_info[1], ConnectionFailure)
        worst = 0
        for tag, message in batch:
            key = _key(message)
            attempts = self._failures.pop(key, 0) + (0 if transient else 1)
            if attempts >= config.get_int("EVENT_MAX_ATTEMPTS"):
                kind = str(message["payload"].get("type") or message["payload"].get("kind"))
                log.error("firehose: message dead-lettered after %d attempts: %s", attempts, kind)
                metrics.EVENTS_DEAD_LETTERED.labels("records", kind).inc()
                channel.basic_reject(tag, requeue=False)
                continue
            self._failures[key] = attempts
            worst = max(worst, attempts)
        while len(self._failures) > 10000:
            self._failures.popitem(last=False)
        # Requeue what is left of the batch and everything prefetched behind it, so that RabbitMQ
        # puts them back in place and the next attempt sees them in the same order.
        eventlet.sleep(min(0.2 * max(worst, 1), 2))
        last_tag = max([tag for tag, _ in batch] + [tag for tag, _ in self._pending])
        self._pending = []
        channel.basic_nack(last_tag, multiple=True, requeue=True)


def _key(message):
    payload = message["payload"]
    return str(payload.get("id"))


firehose = Firehose.decorator
