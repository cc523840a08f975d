"""The RPC entrypoint with fake messages: it runs only for a context the gateway signed and still waits."""

import logging
import time

import pytest
from nacl.signing import SigningKey
from nameko.messaging import encode_to_headers

from services.common import entrypoints, metrics, signing
from services.common.errors import CadreError, Forbidden, Unavailable
from tests.unit.common import fakes


class Service:
    def open_reviews(self, selection):
        return selection


class Container(fakes.Container):
    service_cls = Service


class RpcConsumer:
    """Stands for nameko's shared RPC consumer: keeps the replies it is asked to send."""

    def __init__(self, lost=None):
        self.replies, self.lost = [], lost

    def handle_result(self, message, result, exc_info):
        if self.lost:
            raise self.lost
        self.replies.append((message, result, exc_info))
        return "sent", exc_info


class Message:
    def __init__(self, headers):
        self.headers = headers


# every test here starts from a data dir with no key in it (conftest.py)
pytestmark = pytest.mark.usefixtures("data_dir")


def entrypoint(consumer=None):
    made = entrypoints.DeadlineRpc(expected_exceptions=(CadreError,))
    made.container, made.method_name, made.rpc_consumer = Container(), "open_reviews", consumer or RpcConsumer()
    return made


def signed(key=None, deadline_in=5.0, **entries):
    context = {"cadre_actor": "org", "cadre_deadline": f"{time.time() + deadline_in:.3f}", **entries}
    return signing.sign_context(key or signing.signing_key("gateway"), context)


BODY = {"args": [], "kwargs": {"selection": "S1"}}


def count(reason):
    return metrics.RPC_REJECTED.labels("supervision", reason)._value.get()


def refusal(rpc, message):
    """The one reply sent for ``message``: its error, checked to be sent for that message with no result."""
    [(replied_to, result, exc_info)] = rpc.rpc_consumer.replies
    assert replied_to is message and result is None
    error_type, error, _ = exc_info
    assert type(error) is error_type
    return error


def test_a_context_the_gateway_signed_runs_the_method_with_its_arguments_and_context():
    rpc, context = entrypoint(), signed()
    rpc.handle_message(BODY, Message(encode_to_headers(context)))
    assert rpc.container.workers == [(rpc, [], {"selection": "S1"}, context)]
    assert rpc.rpc_consumer.replies == []


def test_a_request_without_a_signed_context_is_refused_unrun(caplog):
    rpc, message, before = entrypoint(), Message(encode_to_headers({"cadre_actor": "org"})), count("unsigned")
    with caplog.at_level(logging.WARNING, logger=entrypoints.log.name):
        rpc.handle_message(BODY, message)
    error = refusal(rpc, message)
    assert type(error) is Forbidden and error.code == "forbidden"
    assert error.detail == "refused: the request carries no signed caller context"
    assert rpc.container.workers == [] and count("unsigned") == before + 1
    [logged] = [record.getMessage() for record in caplog.records]
    assert logged == "refused open_reviews unrun: the request carries no signed caller context"


def test_a_request_with_no_headers_at_all_is_refused_unrun():
    rpc, message = entrypoint(), Message(None)
    rpc.handle_message(BODY, message)
    assert refusal(rpc, message).detail == "refused: the request carries no signed caller context"
    assert rpc.container.workers == []


def test_a_context_past_its_deadline_is_refused_unrun():
    rpc, message, before = entrypoint(), Message(encode_to_headers(signed(deadline_in=-1.0))), count("expired")
    rpc.handle_message(BODY, message)
    assert refusal(rpc, message).detail == "refused: the caller context has expired"
    assert rpc.container.workers == [] and count("expired") == before + 1


def test_a_context_not_signed_by_the_gateway_is_refused_as_forged():
    signing.signing_key("gateway")  # the gateway's key is known here, and the context is signed by another
    rpc, message = entrypoint(), Message(encode_to_headers(signed(SigningKey.generate())))
    rpc.handle_message(BODY, message)
    assert refusal(rpc, message).detail == "refused: the signature does not verify for gateway"
    assert rpc.container.workers == []


def test_while_the_gateways_key_is_unknown_a_request_is_answered_unavailable_unrun():
    rpc, before = entrypoint(), count("key_unknown")
    message = Message(encode_to_headers(signed(SigningKey.generate())))
    rpc.handle_message(BODY, message)
    error = refusal(rpc, message)
    assert type(error) is Unavailable and error.detail == "the gateway's public key is not known here yet"
    assert rpc.container.workers == [] and count("key_unknown") == before + 1


def test_a_refusal_the_broker_cannot_carry_is_logged_and_leaves_the_service_up(caplog):
    rpc = entrypoint(RpcConsumer(lost=ConnectionResetError("broker away")))
    with caplog.at_level(logging.WARNING, logger=entrypoints.log.name):
        rpc.handle_message(BODY, Message({}))  # does not raise
    logged = caplog.records[-1].getMessage()
    assert logged == "reply to open_reviews not sent, the broker is unreachable: ConnectionResetError"


def test_a_workers_result_is_replied_to_its_request():
    rpc, message, exc_info = entrypoint(), Message({}), (ValueError, ValueError("x"), None)
    assert rpc.handle_result(message, object(), 42, exc_info) == ("sent", exc_info)
    assert rpc.rpc_consumer.replies == [(message, 42, exc_info)]


def test_a_reply_the_broker_cannot_carry_is_logged_and_leaves_the_service_up(caplog):
    rpc, exc_info = entrypoint(RpcConsumer(lost=ConnectionResetError("broker away"))), (ValueError, None, None)
    with caplog.at_level(logging.WARNING, logger=entrypoints.log.name):
        assert rpc.handle_result(Message({}), object(), 42, exc_info) == (42, exc_info)
    [logged] = [record.getMessage() for record in caplog.records]
    assert logged == "reply to open_reviews not sent, the broker is unreachable: ConnectionResetError"


def test_a_query_is_the_method_itself_registered_as_a_deadline_rpc_whose_cadre_errors_are_answers():
    def read(self):
        return "state"

    assert entrypoints.query(read) is read
    [registered] = read.nameko_entrypoints
    assert type(registered) is entrypoints.DeadlineRpc and registered.expected_exceptions == (CadreError,)
