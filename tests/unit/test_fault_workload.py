"""The fault workload's error accounting (tests/faults/workload.py), without a broker: every error it is
told is counted by kind, and a kind the fault does not explain is reported as unexpected."""

import collections
import threading

import requests

from tests.faults import workload as workload_module
from tests.faults.test_faults import GATEWAY_AWAY, UNDER_FAULT
from tests.faults.workload import WORKLOAD_BUG, Workload, error_kind, unexpected_errors


class Answer:
    def __init__(self, status, code=None):
        self.status_code = status
        self._code = code
        self.headers = {"Content-Type": "application/problem+json" if code else "application/json"}

    def json(self):
        return {"code": self._code} if self._code else {"id": "x"}


class Client:
    """A requests session that answers from a list (an exception in it is raised)."""

    def __init__(self, *answers):
        self.answers = list(answers)

    def request(self, *args, **kwargs):
        answer = self.answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer


def test_every_error_a_call_hears_is_counted_by_kind(monkeypatch):
    monkeypatch.setattr(workload_module.time, "sleep", lambda seconds: None)
    load = Workload("http://gateway", {"org": "token"})
    retried = load.call(
        Client(Answer(503, "unavailable"), requests.ConnectionError("reset"), Answer(409, "exists")),
        "unit",
        "POST",
        "/api/v1/units",
        {},
        "org",
    )
    assert retried.already
    load.call(Client(Answer(409, "exists")), "unit", "POST", "/api/v1/units", {}, "org")
    load.call(Client(Answer(201)), "unit", "POST", "/api/v1/units", {}, "org")
    assert load.errors == collections.Counter(
        {"503 unavailable": 1, "ConnectionError": 1, "409 exists after an unanswered attempt": 1, "409 exists": 1}
    )
    # a first answer "exists" is no effect of the fault; a connection error is one only when the gateway is away
    assert unexpected_errors(load.errors, UNDER_FAULT) == {"ConnectionError": 1, "409 exists": 1}
    assert unexpected_errors(load.errors, GATEWAY_AWAY) == {"409 exists": 1}


def test_a_bug_in_the_workload_is_an_error_no_fault_explains():
    load = Workload("http://gateway", {"org": "token"})
    ran = threading.Event()

    def broken(session):
        ran.set()
        load._stop.set()
        raise ZeroDivisionError

    load._walk = broken
    load._client(0)
    assert ran.is_set() and load.errors == {f"{WORKLOAD_BUG}: ZeroDivisionError": 1}
    assert unexpected_errors(load.errors, GATEWAY_AWAY) == dict(load.errors)


def test_error_kinds():
    assert error_kind(201) is None
    assert error_kind(500) == "500" and error_kind(503, "unavailable") == "503 unavailable"
    assert error_kind(409, "exists", after_unanswered=True) == "409 exists after an unanswered attempt"
    assert error_kind("ReadTimeout") == "ReadTimeout"


def test_exists_after_still_running_is_a_retry_learning_it_took_effect(monkeypatch):
    # a replica killed mid-request: its redelivery finds the key running (409 conflict), and once that claim is
    # stale the retry learns the killed delivery's effect stands (409 exists), which no fault leaves unexplained
    monkeypatch.setattr(workload_module.time, "sleep", lambda seconds: None)
    load = Workload("http://gateway", {"org": "token"})
    op = load.call(Client(Answer(409, "conflict"), Answer(409, "exists")), "verdict", "POST", "/api/v1/x", {}, "org")
    assert op.retried and op.already
    assert load.errors == {"409 conflict": 1, "409 exists after an unanswered attempt": 1}
    assert unexpected_errors(load.errors, UNDER_FAULT) == {}
    # a refusal other than "still running" says nothing of an earlier effect
    other = load.call(Client(Answer(409, "wrong_stage")), "verdict", "POST", "/api/v1/x", {}, "org")
    assert not other.retried and not other.already
