"""JSON log lines: a caller's error without a code, text unescaped, and the chatty libraries quieted."""

import json
import logging
import sys

import pytest

from services.common import logs


def record(exc=None, msg="hello"):
    made = logging.LogRecord("cadre.test", logging.WARNING, __file__, 1, msg, (), None)
    if exc is not None:
        try:
            raise exc
        except type(exc):
            made.exc_info = sys.exc_info()
    return made


class Refused(Exception):
    """A 4xx answer that carries no code (not a CadreError)."""

    status = 404


def test_a_callers_error_without_a_code_is_logged_by_its_class_alone():
    line = json.loads(logs.JsonFormatter("gateway").format(record(Refused("secret"))))
    assert (line["level"], line["msg"], "exc" in line) == ("info", "Refused: ", False)


def test_a_line_keeps_its_text_as_written_not_escaped():
    # one JSON object a line either way; a reader of the raw log sees "Zoë", not \u00eb
    assert '"msg": "Zoë"' in logs.JsonFormatter("gateway").format(record(msg="Zoë"))


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


def test_configure_quiets_each_chatty_library_to_warnings(monkeypatch, restored):
    monkeypatch.setenv("LOG_LEVEL", "DEBUG")
    for name in restored:
        logging.getLogger(name).setLevel(logging.NOTSET)  # as a fresh process has them
    logs.configure("records")
    assert {name: logging.getLogger(name).level for name in restored} == dict.fromkeys(restored, logging.WARNING)
