"""Requests a service has already applied, by the caller's Idempotency-Key.

The gateway keeps each key's first answer, but when that answer was lost (an outage, a deadline,
a killed gateway) it cannot know whether the RPC ran, so the client's retry reaches the service
again. Each service therefore records, in its own database, the key of every keyed request it runs
and the answer it gave; a retry gets that answer back instead of a second effect.

The answer can only be written after the effect, so a process killed between the two leaves the key
"running" with no answer. Every event-making write of a keyed request therefore also stamps the
aggregate it changes with the key (``stamp()``, in that same atomic write, by ``services.common.outbox``).
A retry that takes such an abandoned key over first looks for the stamp: found, the request took
effect and the retry is told so (409 ``exists``, naming what it changed) instead of applying it again;
not found, it never took effect and runs.
"""
import hashlib
import logging
import threading
from datetime import timedelta

from kombu.utils.json import dumps, loads  # the RPC's own JSON: datetimes, decimals and uuids too
from mongoengine import DateTimeField, Document, NotUniqueError, StringField

from services.common import config
from services.common.envelope import utcnow
from services.common.errors import CadreError, Conflict

log = logging.getLogger(__name__)


class AppliedRequest(Document):
    key = StringField(primary_key=True)
    state = StringField(required=True)  # "running" until the answer is kept, then "done"
    answer = StringField()  # JSON: {"result": ...} or {"error": [class name, detail, code, errors]}
    at = DateTimeField(required=True)
    meta = {"collection": "applied_requests"}


# The key of the keyed request the current worker is running (greenlet-local under eventlet).
_running = threading.local()


def stamp():
    """The mark the current keyed request leaves on the aggregates it changes; None outside one."""
    key = getattr(_running, "key", None)
    return _mark(key) if key else None


def _mark(key):
    return f"request:{key}"


def request_key(scope, key):
    """The key a service stores: the caller's scope and Idempotency-Key, hashed (no names kept)."""
    return hashlib.sha256(f"{scope}\n{key}".encode()).hexdigest()


def _replay(answer):
    answer = loads(answer)
    if "result" in answer:
        return answer["result"]
    from services.common import errors

    name, detail, code, fields = answer["error"]
    raise getattr(errors, name, CadreError)(detail, code, fields)


def _claim(key):
    """True if this call may run; otherwise replays or refuses what the first call left."""
    now = utcnow()
    try:
        AppliedRequest(key=key, state="running", at=now).save(force_insert=True)
        return True
    except NotUniqueError:
        pass
    first = AppliedRequest.objects(key=key).first()
    if first is None:
        return _claim(key)
    if first.state == "done":
        return _replay(first.answer)
    # A first call that never finished (its process died) may be taken over after its deadline.
    stale = now - timedelta(seconds=config.get_float("RPC_TIMEOUT_SECONDS") + 5)
    if AppliedRequest.objects(key=key, state="running", at__lte=stale).modify(set__at=now) is not None:
        _refuse_if_applied(key)
        return True
    raise Conflict("the first request with this Idempotency-Key is still running", "conflict")


def _took_effect(key):
    """The answer for a request that left its stamp but no answer, or None if it left no stamp."""
    from services.common import outbox  # outbox stamps with this module's stamp()

    changed = outbox.stamped(_mark(key))
    if changed is None:
        return None
    error = Conflict(f"this request already took effect ({type(changed).__name__.lower()} {changed.pk}); "
                     "its answer was lost when the service stopped, so read the resource", "exists")
    _keep(key, {"error": [type(error).__name__, *error.args]})
    return error


def _refuse_if_applied(key):
    """A taken-over key whose request took effect before its process died: say so, do not run it."""
    error = _took_effect(key)
    if error is not None:
        raise error


def once(key, run):
    """Run ``run()`` once per key; later calls with the key get the first answer."""
    claimed = _claim(key)
    if claimed is not True:
        return claimed
    _running.key = key
    try:
        result = run()
    except CadreError as error:
        _keep(key, {"error": [type(error).__name__, *error.args]})
        raise
    except Exception:
        # a fault, not an answer: a retry may run again, unless the effect was already written
        if _took_effect(key) is None:
            AppliedRequest.objects(key=key).delete()
        raise
    finally:
        _running.key = None
    _keep(key, {"result": result})
    return result


def _keep(key, answer):
    try:
        AppliedRequest.objects(key=key).update_one(set__state="done", set__answer=dumps(answer))
    except Exception as exc:  # the effect stands; a retry after the stale time runs again
        log.warning("answer to a keyed request not kept: %s", type(exc).__name__)
