"""Timers that wake on work: they look when poked, at the safety interval, and not otherwise."""

from services.common.wake import Wake


class Clock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


def test_first_tick_looks_then_rests_until_poked():
    clock = Clock()
    wake = Wake(safety_seconds=30, clock=clock)
    assert wake.due()
    clock.now = 1
    assert not wake.due()
    wake.poke()
    clock.now = 2
    assert wake.due()
    clock.now = 3
    assert not wake.due()


def test_safety_interval_looks_without_a_poke():
    clock = Clock()
    wake = Wake(safety_seconds=30, clock=clock)
    assert wake.due()
    clock.now = 29.9
    assert not wake.due()
    clock.now = 30
    assert wake.due()
    clock.now = 31
    assert not wake.due()


def test_poke_during_a_look_is_seen_at_the_next_tick():
    clock = Clock()
    wake = Wake(safety_seconds=30, clock=clock)
    assert wake.due()
    wake.poke()  # a tick that left work undone
    clock.now = 1
    assert wake.due()


def test_woken_by_any_worker_but_its_own_timer_and_by_a_known_due_time():
    from datetime import datetime, timedelta, timezone
    from types import SimpleNamespace

    from services.common.wake import WokenByWorkers

    def worker(name):
        return SimpleNamespace(entrypoint=SimpleNamespace(method_name=name))

    clock = Clock()
    woken = WokenByWorkers("tick")
    woken.setup()
    woken.wake = Wake(safety_seconds=30, clock=clock)
    now = datetime(2026, 1, 1, tzinfo=timezone.utc)
    assert woken.due(now)
    assert not woken.due(now)
    woken.worker_result(worker("tick"))
    assert not woken.due(now)
    woken.worker_result(worker("give_verdict"))
    assert woken.due(now)
    woken.next_due = now + timedelta(seconds=5)
    assert not woken.due(now + timedelta(seconds=4))
    assert woken.due(now + timedelta(seconds=5))


def test_without_its_own_interval_a_wake_looks_at_the_configured_safety_interval(monkeypatch):
    monkeypatch.setenv("WAKE_SAFETY_SECONDS", "4")
    clock = Clock()
    wake = Wake(clock=clock)
    assert wake.due()
    clock.now = 3.9
    assert not wake.due()
    clock.now = 4
    assert wake.due()


def test_a_timers_wake_made_at_setup_looks_first_and_then_when_another_worker_ran(monkeypatch):
    from types import SimpleNamespace

    from services.common.wake import WokenByWorkers

    monkeypatch.setenv("WAKE_SAFETY_SECONDS", "3600")
    woken = WokenByWorkers("tick")
    woken.setup()
    assert woken.next_due is None and woken.get_dependency(None) is woken
    assert woken.due(0) and not woken.due(0)
    woken.worker_result(SimpleNamespace(entrypoint=SimpleNamespace(method_name="give_verdict")))
    assert woken.due(0)
