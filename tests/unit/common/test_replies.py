"""The RPC clients' reply queue: declared on the first request of each connection, not on every one."""

from kombu import Connection, Exchange, Queue
from kombu.common import maybe_declare

from services.common import replies

NAMEKO_REPLY_QUEUE = Queue(
    "rpc.reply-gateway-1",
    exchange=Exchange("nameko-rpc", type="topic"),
    routing_key="1",
    queue_arguments={"x-expires": 300000},
)


class Listener:
    queue = NAMEKO_REPLY_QUEUE


class Publisher:
    declare = [NAMEKO_REPLY_QUEUE]


class Client:
    """Stands for nameko's ClusterRpc after its own setup."""

    def setup(self):
        self.reply_listener, self.publisher = Listener(), Publisher()


class Rpc(replies.ReplyQueueDeclaredOnce, Client):
    pass


def declared_on(connection, queue):
    return maybe_declare(queue, connection.default_channel)


def test_nameko_would_declare_its_reply_queue_before_every_request():
    with Connection("memory://") as connection:
        assert [declared_on(connection, NAMEKO_REPLY_QUEUE) for _ in range(3)] == [True, True, True]


def test_the_same_queue_is_declared_on_the_first_request_of_each_connection_only():
    rpc = Rpc()
    rpc.setup()
    [queue] = rpc.publisher.declare
    assert (queue.name, queue.routing_key, queue.exchange, queue.queue_arguments) == (
        "rpc.reply-gateway-1",
        "1",
        NAMEKO_REPLY_QUEUE.exchange,
        {"x-expires": 300000},
    )
    with Connection("memory://") as connection:
        assert [declared_on(connection, queue) for _ in range(3)] == [True, False, False]
        connection.close()  # a reconnect (a broker restart, a failover) forgets what was declared
        assert [declared_on(connection, queue) for _ in range(2)] == [True, False]


# --- a service's reply, sent without waiting for the broker's confirm --------------------------------


class Message:
    properties = {"content_type": "application/json", "reply_to": "1", "correlation_id": "c-1"}


class Consumer:
    def __init__(self):
        self.acked = []

    def ack_message(self, message):
        self.acked.append(message)


def test_a_reply_goes_out_unconfirmed_and_the_request_is_acked_after_it(monkeypatch):
    from nameko.amqp import publish

    producers, real = [], publish.get_producer

    def get_producer(amqp_uri, confirms=True, *args, **kwargs):
        producers.append(confirms)
        return real(amqp_uri, confirms, *args, **kwargs)

    monkeypatch.setattr(publish, "get_producer", get_producer)
    from nameko import config

    consumer = replies.UnconfirmedReplies()
    consumer.consumer = Consumer()
    with config.patch({"AMQP_URI": "memory://"}), Connection("memory://") as connection:
        caller = NAMEKO_REPLY_QUEUE(connection.default_channel)
        caller.declare()
        assert consumer.handle_result(Message, {"id": "S1"}, None) == ({"id": "S1"}, None)
        reply = caller.get(no_ack=True)
    assert producers == [False] and consumer.consumer.acked == [Message]
    assert (reply.payload, reply.properties["correlation_id"]) == ({"result": {"id": "S1"}, "error": None}, "c-1")
