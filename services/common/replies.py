"""RPC clients whose reply queue is declared once per broker connection, not before every request.

nameko's RPC publisher declares its reply queue (the exchange, the queue and the binding: three broker
round trips, each waited for) before every request it sends, because the queue's ``x-expires`` keeps
kombu from remembering the declaration. That was a fifth of the gateway's CPU on a read. The queue
need not be declared again while the connection that declared it is up: kombu forgets its
declarations whenever a connection is made again, so after a broker restart or a failover the first
request on the new connection declares the queue again, as before; and the reply listener declares it
itself each time it connects.
"""

from kombu import Queue


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
