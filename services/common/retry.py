"""Optimistic updates: a read-modify-write redone on a fresh read while its guarded write loses races, a bounded number of times."""

from services.common.errors import Conflict

DEFAULT_ATTEMPTS = 10


def until_written(attempt, attempts=DEFAULT_ATTEMPTS, gave_up=None, pause=None):
    """The first result of ``attempt()`` that is not None, calling it at most ``attempts`` times.

    ``attempt`` reads what it changes, decides, and makes ONE write guarded by what it read (a
    ``version``, a stage ...), e.g. ``outbox.modify(Doc.objects(pk=x, version=doc.version), ...)``. It
    returns None when the guard matched nothing because another change got there first, anything else
    once it wrote; it raises to refuse. ``pause(n)``, when given, runs after the n-th lost race
    (from 0): to let the winner's greenlet finish, or to back off. When every attempt lost, ``gave_up``
    is raised (an exception; by default 409 ``conflict`` telling the client to retry).
    """
    for n in range(attempts):
        result = attempt()
        if result is not None:
            return result
        if pause is not None:
            pause(n)
    raise (gave_up if gave_up is not None else Conflict("the resource kept changing under this request; retry"))
