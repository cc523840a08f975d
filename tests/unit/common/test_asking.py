"""A service asking another: the owner's answer, or 503 in time, never past the gateway's deadline less a margin."""

import time
from types import SimpleNamespace

import eventlet
import pytest
from kombu.exceptions import OperationalError
from nameko.exceptions import serialize

from services.common import asking
from services.common.asking import MARGIN_SECONDS, Ask, ask_timeout
from services.common.errors import NotFound, Unavailable


def test_the_limit_when_the_gateway_deadline_is_far():
    assert ask_timeout("1010.000", 1000.0, 3.0) == 3.0


def test_cut_to_what_is_left_of_the_gateway_deadline():
    assert ask_timeout("1002.000", 1000.0, 3.0) == 2.0 - MARGIN_SECONDS


def test_nothing_left_once_the_deadline_is_near():
    assert ask_timeout("1000.200", 1000.0, 3.0) <= 0


def test_no_or_unreadable_deadline_gives_the_limit():
    assert ask_timeout(None, 1000.0, 3.0) == 3.0
    assert ask_timeout("soon", 1000.0, 3.0) == 3.0


class Publisher:
    """Stands for nameko's RPC publisher: keeps the requests, or fails as the broker would."""

    def __init__(self, fails=None):
        self.requests, self.fails = [], fails

    def publish(self, payload, routing_key, extra_headers, **options):
        if self.fails:
            raise self.fails
        self.requests.append((routing_key, payload["kwargs"], extra_headers))


class Replies:
    """Stands for nameko's reply listener: every call is answered ``response`` after ``delay`` seconds."""

    def __init__(self, response, delay=0.0):
        self.response, self.delay = response, delay

    def register_for_reply(self, correlation_id):
        def wait():
            if self.delay:
                eventlet.sleep(self.delay)
            return self.response

        return wait


class WorkerContext:
    def __init__(self, **data):
        self.data = self.context_data = data


@pytest.fixture(autouse=True)
def limit(monkeypatch):
    monkeypatch.setenv("ASK_TIMEOUT_SECONDS", "3")
    # the asking module's clock only: now is 1000.0, so the deadlines below read as seconds left
    monkeypatch.setattr(asking, "time", SimpleNamespace(time=lambda: 1000.0))


def ask(response=None, delay=0.0, fails=None, **context):
    made = Ask("supervision")
    made.publisher, made.reply_listener = Publisher(fails), Replies(response or {"result": "open"}, delay)
    return made, made.get_dependency(WorkerContext(**context))


def unavailable(call):
    with pytest.raises(Unavailable) as refused:
        call()
    return refused.value.detail


def test_an_ask_is_a_client_of_its_target_whose_request_expires_when_the_wait_ends():
    made = Ask("supervision")
    assert (made.target, made.target_service) == ("supervision", "supervision")
    assert made.publisher_options == {"expiration": 3.0}


def test_an_ask_calls_the_owners_method_with_the_callers_context_and_answers_its_result():
    made, asked = ask(cadre_actor="org", cadre_deadline="1001.200")  # 0.7 s left to wait: enough
    assert asked("selection_state", selection="S1") == "open"
    assert made.publisher.requests == [
        (
            "supervision.selection_state",
            {"selection": "S1"},
            {"nameko.cadre_actor": "org", "nameko.cadre_deadline": "1001.200"},
        )
    ]


def test_the_owners_own_refusal_is_answered_as_itself():
    _, asked = ask({"error": serialize(NotFound("no selection S9", "unknown_selection"))})
    with pytest.raises(NotFound) as refused:
        asked("selection_state", selection="S9")
    assert (refused.value.detail, refused.value.code) == ("no selection S9", "unknown_selection")


def test_no_time_left_of_the_gateways_deadline_answers_unavailable_unasked():
    # 1000.5 less the margin leaves exactly 0 s: not a wait
    made, asked = ask(cadre_deadline="1000.500")
    assert unavailable(lambda: asked("selection_state", selection="S1")) == "no time left to ask supervision"
    assert made.publisher.requests == []


def test_an_owner_too_slow_for_the_deadline_answers_unavailable_in_time():
    _, asked = ask(delay=1.0, cadre_deadline="1000.700")  # 0.2 s to wait
    started = time.monotonic()
    detail = unavailable(lambda: asked("selection_state", selection="S1"))
    assert detail == "supervision did not answer within 0.2s" and time.monotonic() - started < 0.9


def test_an_owner_too_slow_for_the_limit_answers_unavailable(monkeypatch):
    monkeypatch.setenv("ASK_TIMEOUT_SECONDS", "0.1")
    _, asked = ask(delay=1.0)
    assert unavailable(lambda: asked("selection_state", selection="S1")) == "supervision did not answer within 0.1s"


@pytest.mark.parametrize(
    "failure, name",
    [
        ("remote", "RemoteError"),
        (ConnectionRefusedError("refused"), "ConnectionRefusedError"),
        (OperationalError("broker away"), "OperationalError"),
    ],
    ids=["an_unexpected_error_of_the_owner", "the_broker_refusing", "the_broker_away"],
)
def test_an_owner_that_cannot_be_asked_answers_unavailable_naming_why(failure, name):
    if failure == "remote":
        _, asked = ask({"error": serialize(ValueError("a bug in the owner"))})
    else:
        _, asked = ask(fails=failure)
    assert unavailable(lambda: asked("selection_state", selection="S1")) == f"supervision could not be asked ({name})"
