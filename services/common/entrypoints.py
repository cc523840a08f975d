"""The entrypoint decorators services use: nameko's, told which errors are the caller's fault,
and an RPC that acts only for a caller the gateway vouched for and who has not given up yet."""

import functools
import logging
import sys
import time

from nameko.messaging import decode_from_headers
from nameko.rpc import Rpc
from nameko.timer import timer

from services.common import applied, metrics, signing
from services.common import remote_errors  # noqa: F401  (errors cross RPC as themselves)
from services.common.context import DEADLINE
from services.common.errors import CadreError, Forbidden, Unavailable
from services.common.events import BROKER_LOST, event_handler
from services.common.replies import UnconfirmedReplies

log = logging.getLogger(__name__)


class DeadlineRpc(Rpc):
    """An RPC entrypoint that runs only for a caller context the gateway signed and whose deadline
    has not passed (a request can sit in a stopped process's socket buffer past it); anything else is
    answered ``forbidden`` (``unavailable`` while the gateway's public key is not known yet) unrun.
    Its replies go out unconfirmed (services/common/replies.py)."""

    rpc_consumer = UnconfirmedReplies()

    def handle_message(self, body, message):
        context = decode_from_headers(message.headers or {})
        try:
            signing.verify_context(context, time.time(), DEADLINE)
        except signing.Rejected as refused:
            metrics.RPC_REJECTED.labels(self.container.service_name, refused.reason).inc()
            log.warning("refused %s unrun: %s", self.method_name, refused)
            return self._refuse(message, Forbidden(f"refused: {refused}"))
        except signing.KeyUnknown:
            metrics.RPC_REJECTED.labels(self.container.service_name, "key_unknown").inc()
            return self._refuse(message, Unavailable("the gateway's public key is not known here yet"))
        super().handle_message(body, message)

    def _refuse(self, message, error):
        try:
            raise error
        except CadreError:
            try:
                self.rpc_consumer.handle_result(message, None, sys.exc_info())
            except BROKER_LOST as exc:
                log.warning("reply to %s not sent, the broker is unreachable: %s", self.method_name, type(exc).__name__)

    def handle_result(self, message, worker_ctx, result, exc_info):
        try:
            return super().handle_result(message, worker_ctx, result, exc_info)
        except BROKER_LOST as exc:
            # The broker went away while the reply was sent. Letting this escape kills the whole
            # container (nameko ends a service whose managed thread fails), so a broker blip would
            # restart every service that had a request in flight. The caller hears 503 at its deadline;
            # the unacked request is redelivered after the reconnect and handled again, idempotently.
            log.warning("reply to %s not sent, the broker is unreachable: %s", self.method_name, type(exc).__name__)
            return result, exc_info


# A CadreError is an answer, not a failure of the service: logged without alarm.
_rpc = DeadlineRpc.decorator(expected_exceptions=(CadreError,))


def rpc(method):
    """``@rpc``: a DeadlineRpc whose keyed requests (Idempotency-Key) apply at most once and answer as
    ``applied`` says a keyed RPC does (result and whether it was replayed)."""

    @functools.wraps(method)
    def keyed(self, *args, **kwargs):
        caller = getattr(self, "caller", None)
        key = getattr(caller, "request_key", None)
        if not key:
            return method(self, *args, **kwargs)
        return applied.once(key, lambda: method(self, *args, **kwargs), caller.answer_key, caller.request_digest)

    return _rpc(keyed)


def query(method):
    """``@query``: a DeadlineRpc that reads and answers from the state as of the call, never a kept answer.

    A service asked by another (``services.common.asking``) during a keyed request receives that request's
    context as it is, key included; were the read kept under the key, a retry would be told the owner's
    state of the first attempt, which is the stale answer asking the owner exists to avoid."""
    return _rpc(method)


__all__ = ["rpc", "query", "event_handler", "timer"]
