"""Aggregates: the documents whose changes emit events, and the stamps keyed requests leave on them.

``services.common.outbox`` writes an aggregate's changes with its events and stamps it with the keyed
request being run (``stamp()``); ``services.common.applied`` runs keyed requests (``running(key)``) and,
when one was cut short, looks for its stamp (``stamped``). Both import this module, never each other.
"""

import threading
from contextlib import contextmanager

from mongoengine import Document, IntField, ListField, StringField


class Aggregate(Document):
    """Base of every document whose changes emit events.

    Never ``save()`` a loaded aggregate: change it with ``outbox.modify``/``outbox.insert``, so that the
    relay's concurrent pulls from ``outbox`` are never overwritten.
    """

    meta = {"abstract": True, "indexes": ["outbox_n"]}

    outbox = ListField(StringField())
    outbox_n = IntField(default=0)
    # Envelope ids of the events already applied to this document (idempotent handlers), and the
    # stamps of the keyed requests that changed it (services/common/applied.py).
    handled = ListField(StringField())


def aggregate_classes():
    """Every concrete aggregate document class defined so far."""
    found, stack = [], list(Aggregate.__subclasses__())
    while stack:
        cls = stack.pop()
        stack.extend(cls.__subclasses__())
        if not cls._meta.get("abstract"):
            found.append(cls)
    return found


# The key of the keyed request the current worker is running (greenlet-local under eventlet).
_running = threading.local()


@contextmanager
def running(key):
    """While the keyed request ``key`` runs, the aggregates it changes are stamped with it."""
    _running.key = key
    try:
        yield
    finally:
        _running.key = None


def stamp():
    """The mark the current keyed request leaves on the aggregates it changes; None outside one."""
    key = getattr(_running, "key", None)
    return mark_of(key) if key else None


def mark_of(key):
    return f"request:{key}"


def stamped(mark):
    """The first aggregate whose ``handled`` holds ``mark``, or None. Scans: for rare recoveries only."""
    for cls in aggregate_classes():
        doc = cls.objects(handled=mark).only("id").first()
        if doc is not None:
            return doc
    return None
