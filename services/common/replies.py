"""RPC made cheaper: the reply queue declared once per connection, requests and replies sent unconfirmed.

nameko's RPC clients and servers pay for every reply in broker round trips that buy nothing here.

nameko's RPC publisher declares its reply queue (the exchange, the queue and the binding: three broker
round trips, each waited for) before every request it sends, because the queue's ``x-expires`` keeps
kombu from remembering the declaration. That was a fifth of the gateway's CPU on a read. The queue
need not be declared again while the connection that declared it is up: kombu forgets its
declarations whenever a connection is made again, so after a broker restart or a failover the first
request on the new connection declares the queue again, as before; and the reply listener declares it
itself each time it connects.

A service waited, after every request it served, for the broker to confirm that the reply was
written (13.6 % of nomination's busy time on a read). The confirm protects nothing: a reply the broker
loses is an answer the caller never hears either way (the caller gets 503 at its deadline, and its retry
with the same Idempotency-Key gets the kept answer back, services/common/applied.py), and a reply the
broker refuses (its queue gone because the caller stopped waiting) had no one to go to. Events, whose
loss would matter, keep their confirms (services/common/outbox.py).

A caller (the gateway, a service asking another) waited likewise for the confirm of every request it
sent: 18 % of the gateway's busy time on a write. Its caller waits for the reply anyway, within a deadline:
a request the broker loses is a reply that never comes, so a 503 at the deadline and a retry with the same
Idempotency-Key, exactly as for a lost reply; and a request the broker takes is acted on once whether or
not anyone heard its confirm. The confirm bought one thing besides: nameko publishes requests
``mandatory`` and, having waited for the confirm, turns the broker's return of a request no queue takes
into ``UnknownService``. The RPC queues are durable, so they are missing only before a service's very
first start; then the caller gets the same 503 at its deadline instead of at once.
"""

from kombu import Queue
from nameko import config
from nameko.amqp.publish import Publisher
from nameko.constants import AMQP_SSL_CONFIG_KEY, LOGIN_METHOD_CONFIG_KEY
from nameko.rpc import Responder, RpcConsumer, get_rpc_exchange


class _ReplyQueue(Queue):
    # kombu would not cache a queue with x-expires: it may expire while nobody uses it. This one is
    # in use for as long as its listener runs, and any reconnect declares it again.
    can_cache_declaration = True


class ReplyQueueDeclaredOnce:
    """Mixin for nameko's ``ClusterRpc`` and ``ServiceRpc`` (put it first among the bases)."""

    def setup(self):
        super().setup()
        queue = self.reply_listener.queue
        self.publisher.declare = [
            _ReplyQueue(
                queue.name,
                exchange=queue.exchange,
                routing_key=queue.routing_key,
                queue_arguments=queue.queue_arguments,
            )
        ]


class _UnconfirmedPublisher(Publisher):
    use_confirms = False


class _UnconfirmedRequestPublisher(_UnconfirmedPublisher):
    def publish(self, payload, **kwargs):
        # a return is never waited for without a confirm (nameko warns of that on every request)
        kwargs["mandatory"] = False
        super().publish(payload, **kwargs)


class UnconfirmedRequests:
    """Mixin for nameko's ``ClusterRpc`` and ``ServiceRpc``: requests sent without waiting for the confirm."""

    publisher_cls = _UnconfirmedRequestPublisher


class _UnconfirmedResponder(Responder):
    publisher_cls = _UnconfirmedPublisher


class UnconfirmedReplies(RpcConsumer):
    """nameko's ``RpcConsumer``, sending each reply without waiting for the broker's confirm."""

    def handle_result(self, message, result, exc_info):
        # nameko's own handle_result, but for the responder: it names its Responder class inline
        responder = _UnconfirmedResponder(
            self.amqp_uri,
            get_rpc_exchange(),
            message,
            ssl=config.get(AMQP_SSL_CONFIG_KEY),
            login_method=config.get(LOGIN_METHOD_CONFIG_KEY),
        )
        result, exc_info = responder.send_response(result, exc_info)
        self.consumer.ack_message(message)
        return result, exc_info
