"""The firehose writer's batches: an event waits a linger for company, a manual entry (whose caller waits) never."""

import pytest

from services.records import firehose
from services.records.firehose import Firehose


class Clock:
    def __init__(self):
        self.now = 100.0

    def monotonic(self):
        return self.now


@pytest.fixture
def clock(monkeypatch):
    clock = Clock()
    monkeypatch.setattr(firehose, "time", clock)
    monkeypatch.setenv("RECORDS_BATCH_LINGER_SECONDS", "0.01")
    return clock


def writer():
    made = Firehose()
    made._pending, made._begun = [], 0.0
    return made


def arrive(made, manual=False):
    if not made._pending:
        made._begun = firehose.time.monotonic()
    made._pending.append((len(made._pending) + 1, {"manual": manual, "payload": {}, "waiting": False}))


def test_at_rest_the_poll_blocks_a_while(clock):
    assert writer()._wait_seconds() == 0.2


def test_an_event_waits_out_the_linger_for_company_then_is_due(clock):
    made = writer()
    arrive(made)
    assert not made._due() and made._wait_seconds() == pytest.approx(0.01)
    clock.now += 0.004
    arrive(made)  # company: the linger still counts from the first
    assert not made._due() and made._wait_seconds() == pytest.approx(0.006)
    clock.now += 0.006
    assert made._due() and made._wait_seconds() == 0


def test_a_manual_entry_is_due_at_once_and_takes_the_events_before_it_along(clock):
    made = writer()
    arrive(made)
    arrive(made, manual=True)
    assert made._due() and made._wait_seconds() == 0


def test_no_linger_configured_writes_each_batch_as_it_comes(clock, monkeypatch):
    monkeypatch.setenv("RECORDS_BATCH_LINGER_SECONDS", "0")
    made = writer()
    arrive(made)
    assert made._due()
