"""The RPC clients' reply queue: declared on the first request of each connection, not on every one."""

import sys
import warnings

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


def reply_to_caller(monkeypatch, result, exc_info, settings=None):
    """Send one reply as a service does; (the reply the caller's queue got, the producers asked for, the consumer)."""
    from nameko import config
    from nameko.amqp import publish

    producers, real = [], publish.get_producer

    def get_producer(amqp_uri, confirms=True, ssl=None, login_method=None, *args, **kwargs):
        producers.append((confirms, ssl, login_method))
        return real(amqp_uri, confirms, None, None, *args, **kwargs)  # memory:// takes no ssl

    monkeypatch.setattr(publish, "get_producer", get_producer)
    consumer = replies.UnconfirmedReplies()
    consumer.consumer = Consumer()
    with config.patch({"AMQP_URI": "memory://", **(settings or {})}), Connection("memory://") as connection:
        caller = NAMEKO_REPLY_QUEUE(connection.default_channel)
        caller.declare()
        assert consumer.handle_result(Message, result, exc_info) == (result, exc_info)
        reply = caller.get(no_ack=True)
    return reply, producers, consumer


def test_a_reply_goes_out_unconfirmed_and_the_request_is_acked_after_it(monkeypatch):
    reply, producers, consumer = reply_to_caller(monkeypatch, {"id": "S1"}, None)
    assert producers == [(False, None, None)] and consumer.consumer.acked == [Message]
    assert (reply.payload, reply.properties["correlation_id"]) == ({"result": {"id": "S1"}, "error": None}, "c-1")


def test_a_refusal_is_replied_as_the_error_over_the_brokers_configured_ssl_and_login(monkeypatch):
    from services.common.errors import Conflict

    try:
        raise Conflict("already submitted", "already_submitted")
    except Conflict:
        exc_info = sys.exc_info()
    settings = {"AMQP_SSL": {"cert_reqs": 0}, "LOGIN_METHOD": "AMQPLAIN"}
    reply, producers, _ = reply_to_caller(monkeypatch, None, exc_info, settings)
    assert producers == [(False, {"cert_reqs": 0}, "AMQPLAIN")]
    assert reply.payload["result"] is None
    assert (reply.payload["error"]["exc_type"], reply.payload["error"]["exc_args"]) == (
        "Conflict",
        ["already submitted", "already_submitted", {}],
    )


# --- a caller's request, sent without waiting for the broker's confirm ---------------------------------


def test_a_request_goes_out_unconfirmed_and_not_mandatory(monkeypatch):
    from nameko.amqp import publish

    producers, real = [], publish.get_producer

    def get_producer(amqp_uri, confirms=True, ssl=None, login_method=None, *args, **kwargs):
        producers.append(confirms)
        return real(amqp_uri, confirms, None, None, *args, **kwargs)

    monkeypatch.setattr(publish, "get_producer", get_producer)
    publisher = replies.UnconfirmedRequests.publisher_cls("memory://", exchange=NAMEKO_REPLY_QUEUE.exchange)
    with Connection("memory://") as connection:
        queue = NAMEKO_REPLY_QUEUE(connection.default_channel)
        queue.declare()
        # nameko's RPC client asks for mandatory delivery, which only a confirm would report on: nameko warns
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            publisher.publish({"args": [], "kwargs": {}}, routing_key="1", mandatory=True)
        request = queue.get(no_ack=True)
    assert producers == [False] and request.payload == {"args": [], "kwargs": {}}


def test_the_gateway_and_a_service_asking_another_send_their_requests_unconfirmed():
    from gateway.backend import Backend
    from services.common.asking import Ask

    assert Backend.publisher_cls is Ask.publisher_cls is replies.UnconfirmedRequests.publisher_cls
