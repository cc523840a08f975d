"""Events published with publisher confirms, the events a process's workers publish at the same time sharing
one wait for the broker's confirms.

nameko's publisher waits for each message's confirm before it sends the next, on whichever pooled channel it
takes: after every worker that wrote an event the worker sat out a broker round trip per event (a fifth of
nomination's busy time on a selection step). Here one channel in confirm mode carries a process's events:
while one sender waits for its confirms, the events of the other workers queue, and the next sender
publishes them all and waits once (``services.common.batching.GroupCommit``). The broker numbers the
messages of a confirm-mode channel from 1 and acks them by number, singly or ``multiple`` up to one.

What a caller is told stays what the outbox needs: how many of its events, in order, the broker confirmed.
Only those leave the outbox; the rest (a nack, a lost connection, no confirm within ``CONFIRM_TIMEOUT``)
stay for the sweep, which publishes them again (at least once: the handlers are idempotent). A failure drops
the connection; the next send connects again and declares the exchange again.
"""

import socket
import time

from kombu import Connection

from services.common import config
from services.common.batching import GroupCommit

CONFIRM_TIMEOUT = 5.0  # seconds to wait for the broker's confirms of one send, then the sweep takes over
CONNECT_TIMEOUT = 5.0
PERSISTENT = 2


class Unconfirmed(Exception):
    """The broker did not confirm the event (a nack, or no confirm in time)."""


class ConfirmedPublisher:
    """``publish([(routing_key, body), ...]) -> (confirmed, error)``: ``body`` a JSON text, published persistent
    to ``exchange`` in order; ``confirmed`` how many of them, from the first, the broker confirmed, and
    ``error`` why the rest were not (None when all were)."""

    def __init__(self, amqp_uri, exchange, ssl=None, login_method=None):
        self.amqp_uri, self.exchange, self.ssl, self.login_method = amqp_uri, exchange, ssl, login_method
        self._group = GroupCommit(self._send)
        self._connection = self._channel = None
        self._sent = 0  # the number the broker gives the last message published on this channel
        self._first = 1  # the first number of the send under way
        self._acked, self._nacked = set(), set()

    def publish(self, messages):
        if not messages:
            return 0, None
        return self._group(tuple(messages))

    def close(self, broken=False):
        """Close the connection; a ``broken`` one is only let go, since a close would wait for the broker."""
        connection, self._connection, self._channel = self._connection, None, None
        if connection is not None:
            try:
                connection.collect() if broken else connection.release()
            except Exception:  # closing a connection already gone
                pass

    # -- one sender at a time (the group's lock) --------------------------------------------------------

    def _send(self, batches):
        numbers, error = [], None
        self._acked.clear()
        self._nacked.clear()
        try:
            channel = self._open()
            self._first = self._sent + 1
            for messages in batches:
                first = self._sent + 1
                for routing_key, body in messages:
                    message = channel.prepare_message(
                        body,
                        content_type="application/json",
                        content_encoding="utf-8",
                        properties={"delivery_mode": PERSISTENT},
                    )
                    channel.basic_publish(message, exchange=self.exchange.name, routing_key=routing_key)
                    self._sent += 1
                numbers.append(range(first, self._sent + 1))
            error = self._await()
        except Exception as exc:  # the broker away or gone mid-send: what it acked still counts
            error = exc
        outcomes = []
        for n, messages in enumerate(batches):
            confirmed = 0
            for number in numbers[n] if n < len(numbers) else ():
                if number not in self._acked:
                    break
                confirmed += 1
            outcomes.append((confirmed, None if confirmed == len(messages) else error or Unconfirmed("not confirmed")))
        if error is not None:
            self.close(broken=True)
        return outcomes

    def _open(self):
        if self._channel is None:
            connection = Connection(
                self.amqp_uri, ssl=self.ssl, login_method=self.login_method, connect_timeout=CONNECT_TIMEOUT
            )
            try:
                # each node of a cluster once (kombu moves to the next alternate on each retry)
                connection.ensure_connection(max_retries=len(config.amqp_uris(self.amqp_uri)), interval_start=0)
                channel = connection.channel()
                self.exchange(channel).declare()
                channel.confirm_select()
            except Exception:
                connection.collect()
                raise
            channel.events["basic_ack"].add(lambda tag, multiple: self._settle(self._acked, tag, multiple))
            channel.events["basic_nack"].add(lambda tag, multiple: self._settle(self._nacked, tag, multiple))
            self._connection, self._channel, self._sent = connection, channel, 0
        return self._channel

    def _settle(self, numbers, delivery_tag, multiple):
        # ``multiple``: every message of this send up to the tag
        numbers.update(range(self._first, delivery_tag + 1) if multiple else (delivery_tag,))

    def _await(self):
        """Drain the connection until every message of this send is acked or nacked; why not, or None."""
        wanted = set(range(self._first, self._sent + 1))
        deadline = time.monotonic() + CONFIRM_TIMEOUT
        while not wanted <= self._acked | self._nacked:
            left = deadline - time.monotonic()
            if left <= 0:
                return Unconfirmed(f"no confirm from the broker within {CONFIRM_TIMEOUT:g}s")
            try:
                self._connection.drain_events(timeout=left)
            except socket.timeout:
                pass
        return Unconfirmed("the broker refused an event") if self._nacked & wanted else None
