"""JSON log lines and the entrypoint metrics: what each line and label says (no broker)."""

import json
import logging
import sys

import pytest

from services.common import logs, metrics
from services.common.context import current_request_id
from services.common.errors import Conflict


def record(msg="hello %s", args=("world",), exc=None):
    made = logging.LogRecord("cadre.test", logging.WARNING, __file__, 1, msg, args, None)
    made.created, made.msecs = 1778576400.0, 7.9
    if exc is not None:
        try:
            raise exc
        except type(exc):
            made.exc_info = sys.exc_info()
    return made


def test_a_log_line_is_json_with_service_logger_level_utc_time_and_request_id():
    token = current_request_id.set("req-1")
    try:
        line = json.loads(logs.JsonFormatter("nomination").format(record()))
    finally:
        current_request_id.reset(token)
    assert line == {
        "ts": "2026-05-12T09:00:00.007Z",
        "level": "warning",
        "service": "nomination",
        "logger": "cadre.test",
        "msg": "hello world",
        "request_id": "req-1",
    }


def test_a_callers_error_is_logged_as_info_by_its_code_without_its_data():
    line = json.loads(logs.JsonFormatter("gateway").format(record(exc=Conflict("secret detail", "exists"))))
    assert (line["level"], line["msg"], "exc" in line) == ("info", "Conflict: exists", False)


def test_a_fault_is_logged_with_its_traceback():
    line = json.loads(logs.JsonFormatter("gateway").format(record(exc=OSError("disk"))))
    assert line["level"] == "warning" and line["exc"].endswith("OSError: disk")


class Refused(Exception):
    """A 4xx answer that carries no code (not a CadreError)."""

    status = 404


def test_a_callers_error_without_a_code_is_logged_by_its_class_alone():
    line = json.loads(logs.JsonFormatter("gateway").format(record(exc=Refused("secret"))))
    assert (line["level"], line["msg"], "exc" in line) == ("info", "Refused: ", False)


def test_a_line_keeps_its_text_as_written_not_escaped():
    # one JSON object a line either way; a reader of the raw log sees "Zoë", not \u00eb
    assert '"msg": "Zoë"' in logs.JsonFormatter("gateway").format(record(msg="Zoë", args=()))


@pytest.fixture
def restored():
    """The root logger and the chatty libraries' levels, put back after the test."""
    names = ("kombu", "amqp", "pymongo", "urllib3")
    root = logging.getLogger()
    saved = root.handlers[:], root.level, {n: logging.getLogger(n).level for n in names}
    yield names
    root.handlers[:] = saved[0]
    root.setLevel(saved[1])
    for name, level in saved[2].items():
        logging.getLogger(name).setLevel(level)


def test_configure_sends_json_to_stderr_at_the_set_level_and_quiets_the_chatty(monkeypatch, restored):
    root = logging.getLogger()
    monkeypatch.setenv("LOG_LEVEL", "DEBUG")
    logs.configure("records")
    assert len(root.handlers) == 1 and root.handlers[0].stream is sys.stderr
    assert root.handlers[0].formatter.service == "records" and root.level == logging.DEBUG
    assert {logging.getLogger(n).level for n in restored} == {logging.WARNING}


def test_configure_quiets_each_chatty_library_to_warnings(monkeypatch, restored):
    monkeypatch.setenv("LOG_LEVEL", "DEBUG")
    for name in restored:
        logging.getLogger(name).setLevel(logging.NOTSET)  # as a fresh process has them
    logs.configure("records")
    assert {name: logging.getLogger(name).level for name in restored} == dict.fromkeys(restored, logging.WARNING)


def entrypoint(class_name):
    return type(class_name, (), {"method_name": "open_selection"})()


def test_the_entrypoint_kind_is_read_from_its_class_name():
    assert [
        metrics._kind(entrypoint(n)) for n in ("DeadlineRpc", "HttpRequestHandler", "Timer", "ReliableEventHandler")
    ] == [
        "rpc",
        "http",
        "timer",
        "event",
    ]
    assert metrics._kind(entrypoint("Consumer")) == "consumer"
    assert metrics._kind(entrypoint("WakingTimer")) == "timer"  # by what the name contains, not all of it


def test_the_outcome_is_ok_a_callers_error_or_an_error():
    assert metrics._outcome(None) == "ok"
    assert metrics._outcome((Conflict, Conflict(), None)) == "client_error"
    assert metrics._outcome((OSError, OSError(), None)) == "error"
    assert metrics._outcome((None, type("E", (), {"status": 399})(), None)) == "error"
    assert metrics._outcome((None, type("E", (), {"status": 499})(), None)) == "client_error"
    assert metrics._outcome((None, type("E", (), {"status": 400})(), None)) == "client_error"


def rpc_worker(service, outcome):
    """A metrics provider set up for ``service``, an RPC worker of ``open_selection``, and the count and timing
    that worker's result moves."""
    provider = metrics.Metrics(serve=False)
    provider.container = type("Container", (), {"service_name": service})()
    provider.setup()
    worker = type("Worker", (), {"entrypoint": entrypoint("DeadlineRpc")})()
    counted = metrics.ENTRYPOINT_REQUESTS.labels(service, "rpc", "open_selection", outcome)
    timed = metrics.ENTRYPOINT_DURATION.labels(service, "rpc", "open_selection")
    return provider, worker, counted, timed


def test_every_worker_is_counted_by_outcome_and_timed():
    provider, worker, counted, timed = rpc_worker("nomination", "client_error")
    before, observed = counted._value.get(), timed._sum.get()
    provider.worker_setup(worker)
    provider.worker_result(worker, exc_info=(Conflict, Conflict(), None))
    assert counted._value.get() == before + 1 and timed._sum.get() > observed
    assert provider.get_dependency(worker) is provider


def test_a_worker_never_set_up_is_counted_but_not_timed():
    provider, worker, counted, timed = rpc_worker("examination", "ok")
    before, observed = counted._value.get(), timed._sum.get()
    provider.worker_result(worker)
    assert counted._value.get() == before + 1 and timed._sum.get() == observed


def test_a_worker_is_timed_from_its_setup_to_its_result(monkeypatch):
    provider = metrics.Metrics(serve=False)
    provider.container = type("Container", (), {"service_name": "supervision"})()
    provider.setup()
    worker = type("Worker", (), {"entrypoint": entrypoint("Timer")})()
    timed = metrics.ENTRYPOINT_DURATION.labels("supervision", "timer", "open_selection")
    observed = timed._sum.get()
    clock = iter([100.0, 100.25])
    monkeypatch.setattr(metrics.time, "perf_counter", lambda: next(clock))
    provider.worker_setup(worker)
    provider.worker_result(worker)
    assert timed._sum.get() == observed + 0.25


class Served:
    """Stands in for prometheus_client's start_http_server: the ports and addresses asked for."""

    def __init__(self):
        self.calls = []

    def __call__(self, port, addr="0.0.0.0"):
        self.calls.append((port, addr))


def served_metrics(monkeypatch):
    served = Served()
    monkeypatch.setattr(metrics, "start_http_server", served)
    monkeypatch.setattr(metrics.Metrics, "_served_ports", set())
    return served


def set_up(provider, service="records"):
    provider.container = type("Container", (), {"service_name": service})()
    provider.setup()
    return provider


def test_a_service_serves_its_metrics_by_default_on_its_port_at_the_configured_host(monkeypatch):
    served = served_metrics(monkeypatch)
    monkeypatch.setenv("RECORDS_METRICS_PORT", "9194")
    monkeypatch.setenv("GATEWAY_HOST", "10.0.0.7")
    set_up(metrics.Metrics())
    assert served.calls == [(9194, "10.0.0.7")]


def test_a_port_already_served_in_this_process_is_not_served_again(monkeypatch):
    served = served_metrics(monkeypatch)
    monkeypatch.setenv("RECORDS_METRICS_PORT", "9194")
    monkeypatch.delenv("GATEWAY_HOST", raising=False)
    set_up(metrics.Metrics())
    set_up(metrics.Metrics())
    assert served.calls == [(9194, "127.0.0.1")]


def test_port_zero_or_serve_false_serves_nothing(monkeypatch):
    served = served_metrics(monkeypatch)
    monkeypatch.setenv("RECORDS_METRICS_PORT", "0")
    set_up(metrics.Metrics())
    monkeypatch.setenv("RECORDS_METRICS_PORT", "9194")
    set_up(metrics.Metrics(serve=False))
    assert served.calls == []


def test_the_exposition_is_prometheus_text_with_the_cadre_counters():
    body, content_type = metrics.exposition()
    assert content_type.startswith("text/plain") and b"cadre_entrypoint_requests_total" in body
