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
