"""Requests a service has already applied, by the caller's Idempotency-Key: the suite's one record of a key.

The gateway keeps no record of its own: it passes each keyed POST to the service with the key's record
id, the secret to seal its answer under and a keyed digest of the request, and the service records, in
its own database and before the request runs, the key of every keyed request and, once it ran, the
answer it gave. A retry (after a lost answer, a deadline, a killed gateway) gets that answer back
instead of a second effect, marked as replayed; the same key with another request is 409
``idempotency_mismatch``; a retry while the first still runs is 409 ``conflict``. One record written
twice per request, where a gateway-side copy cost two writes more (bench/RESULTS.md); the claims and the
answers that a process's workers write at the same time go as one command each (``GroupCommit``).

On the wire a keyed RPC answers ``{"result": ..., "replayed": bool}``, or ``{"error": [class name,
detail, code, errors], "replayed": true}`` when it replays a refusal (``answer``, read back by
``unwrap``); a first refusal is raised as any RPC's is.

The answer can only be written after the effect, so a process killed between the two leaves the key
"running" with no answer. Every event-making write of a keyed request therefore also stamps the
aggregate it changes with the key (``aggregate.stamp()``, in that same atomic write, by ``services.common.outbox``).
A retry that takes such an abandoned key over first looks for the stamp: found, the request took
effect and the retry is told so (409 ``exists``, naming what it changed) instead of applying it again;
not found, it never took effect and runs.

Nothing here is readable to whoever reads the database: the record's id is a keyed hash of the
caller's Idempotency-Key and the answer is sealed under a secret derived from that key, both made by
the gateway (``request_keys``, ``services.common.keyed``) and passed in the RPC context. Answers that
carry secrets (ballot tokens, key shares) are thus kept only where the client's key opens them.
"""

import logging
from datetime import timedelta

from kombu.utils.json import dumps, loads  # the RPC's own JSON: datetimes, decimals and uuids too
from mongoengine import DateTimeField, Document, StringField
from pymongo.errors import DuplicateKeyError

from services.common import config, errors, keyed
from services.common.batching import GroupCommit, write_each
from services.common.aggregate import mark_of, running, stamp, stamped
from services.common.clock import utcnow
from services.common.errors import CadreError, Conflict

log = logging.getLogger(__name__)

# stamp is aggregate.stamp, named here too for a write that marks the running request its own way
__all__ = ["AppliedRequest", "once", "request_keys", "stamp", "unwrap"]

MISMATCH = "this Idempotency-Key was used with a different request"
RUNNING = "the first request with this Idempotency-Key is still running"


class AppliedRequest(Document):
    key = StringField(primary_key=True)  # keyed.lookup of the caller's Idempotency-Key, never the key
    state = StringField(required=True)  # "running" until the answer is kept, then "done"
    # the gateway's HMAC of method, path and body under another secret of the caller's key: tells "same
    # request?" without letting whoever reads it test guesses of a body
    request = StringField()
    # sealed (keyed.seal) under the secret only the caller's key yields; inside, JSON:
    # {"result": ...} or {"error": [class name, detail, code, errors]}
    answer = StringField()
    at = DateTimeField(required=True)  # when the request was claimed; the record ends a day later
    meta = {
        "collection": "applied_requests",
        # the database deletes records of keys after a day; _claim ignores older ones as well, for a
        # database that does not run TTL deletes
        "indexes": [{"fields": ["at"], "expireAfterSeconds": keyed.RECORD_SECONDS}],
    }


def request_keys(scope, key):
    """What the gateway passes a service for the caller's Idempotency-Key: the record's id and, as text,
    the secret its answer is sealed under. Neither is the key, and the service keeps only the first."""
    return keyed.lookup(key, scope, "applied"), keyed.encode_secret(keyed.derive(key, scope, "applied/answer"))


def _expired_before():
    return utcnow() - timedelta(seconds=keyed.RECORD_SECONDS)


def _refusal(error):
    """A refusal as it is kept and replayed: ``{"error": [class name, detail, code, errors]}``."""
    return {"error": [type(error).__name__, *error.args]}


def _rebuilt(error):
    """The CadreError a kept ``[class name, detail, code, errors]`` describes (a class this version lacks: CadreError)."""
    name, detail, code, fields = error
    return getattr(errors, name, CadreError)(detail, code, fields)


def _replay(key, secret, sealed):
    try:
        kept = loads(keyed.unseal(secret, sealed or "", key))
    except keyed.Unreadable:
        # only the caller's key opens it: a record that does not is not this caller's answer
        raise Conflict("the answer kept for this Idempotency-Key cannot be read with it")
    return {**kept, "replayed": True}


def _insert_claims(claims):
    return write_each(AppliedRequest._get_collection(), [("insert", claim) for claim in claims])


def _keep_answers(answers):
    updates = [("update", {"_id": key}, {"$set": {"state": "done", "answer": sealed}}) for key, sealed in answers]
    return write_each(AppliedRequest._get_collection(), updates)


# Every keyed request writes its record twice, the claim and the answer: the workers of a process that do so
# at the same time share one command for each (the claims may not depend on each other: an insert
# that meets a duplicate key fails alone, the others are written).
_insert_claim = GroupCommit(_insert_claims)
_keep_answer = GroupCommit(_keep_answers)


def _claim(key, secret, digest):
    """None if this call may run; otherwise the first call's answer to replay, or a refusal raised."""
    now = utcnow()
    try:
        _insert_claim({"_id": key, "state": "running", "at": now, **({"request": digest} if digest else {})})
        return None
    except DuplicateKeyError:
        pass
    first = AppliedRequest.objects(key=key).first()
    if first is None:
        return _claim(key, secret, digest)
    if AppliedRequest.objects(key=key, at__lte=_expired_before()).delete():
        # a record past its day is gone for the caller, whether or not the database deleted it yet
        return _claim(key, secret, digest)
    if not keyed.same_digest(first.request or "", digest or ""):  # no digest matches only no digest
        raise Conflict(MISMATCH, "idempotency_mismatch")
    if first.state == "done":
        return _replay(key, secret, first.answer)
    # A first call that never finished (its process died) may be taken over after its deadline.
    stale = now - timedelta(seconds=config.get_float("RPC_TIMEOUT_SECONDS") + 5)
    if AppliedRequest.objects(key=key, state="running", at__lte=stale).modify(set__at=now) is not None:
        _refuse_if_applied(key, secret)
        return None
    raise Conflict(RUNNING)


def _took_effect(key, secret):
    """The answer for a request that left its stamp but no answer, or None if it left no stamp."""
    changed = stamped(mark_of(key))
    if changed is None:
        return None
    error = Conflict(
        f"this request already took effect ({type(changed).__name__.lower()} {changed.pk}); "
        "its answer was lost when the service stopped, so read the resource",
        "exists",
    )
    _keep(key, secret, _refusal(error))
    return error


def _refuse_if_applied(key, secret):
    """A taken-over key whose request took effect before its process died: say so, do not run it."""
    error = _took_effect(key, secret)
    if error is not None:
        raise error


def once(key, run, answer_key=None, digest=None):
    """Run ``run()`` once per key and answer as a keyed RPC does (the module's docstring); later calls
    with the key and the same ``digest`` get the first answer, replayed; another digest is refused.

    ``answer_key`` is the text ``request_keys`` made: the answer is kept sealed under it. Without a
    readable one there is nothing to keep the answer under, so the request runs as an unkeyed one.
    """
    secret = keyed.decode_secret(answer_key)  # None for no key too
    if secret is None:
        return {"result": run(), "replayed": False}
    replayed = _claim(key, secret, digest)
    if replayed is not None:
        return replayed
    try:
        with running(key):
            result = run()
    except CadreError as error:
        if error.status < 500:
            _keep(key, secret, _refusal(error))
        else:  # 503 (an owner asked did not answer in time): a fault met, not the answer to keep
            _forget_unless_applied(key, secret)
        raise
    except Exception:
        _forget_unless_applied(key, secret)
        raise
    _keep(key, secret, {"result": result})
    return {"result": result, "replayed": False}


def _forget_unless_applied(key, secret):
    """A fault, not an answer: a retry may run again, unless the effect was already written."""
    if _took_effect(key, secret) is None:
        AppliedRequest.objects(key=key).delete()


def unwrap(answer):
    """``(result, replayed)`` of a keyed RPC's answer; a replayed refusal is raised, its ``replayed`` set."""
    if "error" in answer:
        error = _rebuilt(answer["error"])
        error.replayed = True
        raise error
    return answer["result"], answer["replayed"]


def _keep(key, secret, answer):
    try:
        _keep_answer((key, keyed.seal(secret, dumps(answer).encode("utf-8"), key)))
    except Exception as exc:  # the effect stands; a retry after the stale time runs again
        log.warning("answer to a keyed request not kept: %s", type(exc).__name__)
