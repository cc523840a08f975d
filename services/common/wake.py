"""Timers that wake on work: a tick does its database work when something changed since the last one,
and otherwise only at a slow safety interval (work another replica left behind, a time that came due)."""

import time

from nameko.extensions import DependencyProvider

from services.common import config


class Wake:
    """``poke()`` when there is work; ``due()`` at each tick says whether to look for it this time.

    A tick that leaves work undone (a failure, a backlog) pokes again, so it is looked at on the next
    tick rather than at the next safety interval.
    """

    def __init__(self, safety_seconds=None, clock=time.monotonic):
        self.safety_seconds = safety_seconds
        self.clock = clock
        self.generation = 0
        self._seen = None
        self._last = None

    def poke(self):
        self.generation += 1

    def due(self):
        now = self.clock()
        safety = self.safety_seconds if self.safety_seconds is not None else config.get_float("WAKE_SAFETY_SECONDS")
        if self._seen != self.generation or self._last is None or now - self._last >= safety:
            self._seen, self._last = self.generation, now
            return True
        return False


class WokenByWorkers(DependencyProvider):
    """A ``Wake`` poked after every worker of the service except the named timers: any of them may
    have written something a timer must look at."""

    def __init__(self, *timers):
        self.timers = set(timers)

    def setup(self):
        self.wake = Wake()
        self.next_due = None  # the earliest time the timer knows something comes due, if any

    def worker_result(self, worker_ctx, result=None, exc_info=None):
        if worker_ctx.entrypoint.method_name not in self.timers:
            self.wake.poke()

    def due(self, now):
        """Whether the timer should look this tick: poked, at the safety interval, or a known time came."""
        came = self.next_due is not None and self.next_due <= now
        return self.wake.due() or came

    def get_dependency(self, worker_ctx):
        return self
