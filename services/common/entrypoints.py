"""The entrypoint decorators services use: nameko's, told which errors are the caller's fault,
and an RPC that will not act on a request whose caller has already given up."""
import functools
import logging
import sys
import time

from nameko.rpc import Rpc
from nameko.timer import timer

from services.common import applied
from services.common.context import DEADLINE
from services.common.errors import CadreError, Unavailable
from services.common.events import BROKER_LOST, event_handler

log = logging.getLogger(__name__)


class DeadlineRpc(Rpc):
    """An RPC entrypoint that answers ``unavailable`` without running when the gateway's
    deadline has passed (a request can sit in a stopped process's socket buffer past it)."""

    def handle_message(self, body, message):
        deadline = (message.headers or {}).get(f"nameko.{DEADLINE}")
        if deadline and time.time() > float(deadline):
            log.warning("dropped %s: its caller's deadline had passed", self.method_name)
            try:
                raise Unavailable("the request's deadline passed before it could run")
            except Unavailable:
                try:
                    self.rpc_consumer.handle_result(message, None, sys.exc_info())
                except BROKER_LOST as exc:
                    log.warning("reply to %s not sent, the broker is unreachable: %s", self.method_name,
                                type(exc).__name__)
            return
        super().handle_message(body, message)

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
    """``@rpc``: a DeadlineRpc whose keyed requests (Idempotency-Key) apply at most once."""

    @functools.wraps(method)
    def keyed(self, *args, **kwargs):
        caller = getattr(self, "caller", None)
        key = getattr(caller, "request_key", None)
        if not key:
            return method(self, *args, **kwargs)
        return applied.once(key, lambda: method(self, *args, **kwargs), getattr(caller, "answer_key", None))

    return _rpc(keyed)

__all__ = ["rpc", "event_handler", "timer"]
