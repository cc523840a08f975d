"""Asking another service for its own state over RPC, within a deadline shorter than the caller's.

A service keeps copies of other services' state, learnt from their events; a copy may trail a call
that has already answered 2xx (DESIGN.md "Read your writes across services"). Where a copy says no,
the service asks the owner (``Ask("supervision")``) instead of refusing on stale state.

The call is nameko's own ``ServiceRpc``: the incoming request's context data (caller, request id,
the gateway's deadline and whatever the gateway signed) travels with it unchanged. Only the wait is
ours: the lesser of ``ASK_TIMEOUT_SECONDS`` and what is left of the gateway's deadline less a margin,
so that the asking service still answers (503 ``unavailable``) before the gateway gives up on it.
"""

import time

import eventlet
from kombu.exceptions import OperationalError
from nameko.exceptions import RemoteError
from nameko.rpc import ServiceRpc

from services.common import config
from services.common import remote_errors  # noqa: F401  (errors cross RPC as themselves)
from services.common.context import DEADLINE
from services.common.errors import CadreError, Unavailable
from services.common.replies import ReplyQueueDeclaredOnce, UnconfirmedRequests

# Left of the gateway's deadline for the asking service to decide and answer after the owner did.
MARGIN_SECONDS = 0.5


def ask_timeout(deadline, now, limit):
    """Seconds the inner call may wait: ``limit``, cut to the gateway's ``deadline`` (Unix time,
    text as the gateway stamps it, or None) less the margin; 0 or less means no time is left."""
    if deadline:
        try:
            return min(limit, float(deadline) - now - MARGIN_SECONDS)
        except (TypeError, ValueError):
            pass
    return limit


class Ask(UnconfirmedRequests, ReplyQueueDeclaredOnce, ServiceRpc):
    """Injects ``ask(method, **kwargs)``: a read RPC to ``target`` answering its result, the owner's
    own ``CadreError`` (404, 400...), or 503 ``unavailable`` when it is absent or too slow."""

    def __init__(self, target):
        limit = config.get_float("ASK_TIMEOUT_SECONDS")
        # the request expires in the queue when we stop waiting: an owner back from an outage skips it
        super().__init__(target, expiration=limit)
        self.target = target

    def get_dependency(self, worker_ctx):
        client = super().get_dependency(worker_ctx)
        target = self.target

        def ask(method, **kwargs):
            wait = ask_timeout(worker_ctx.data.get(DEADLINE), time.time(), config.get_float("ASK_TIMEOUT_SECONDS"))
            if wait <= 0:
                raise Unavailable(f"no time left to ask {target}")
            try:
                with eventlet.Timeout(wait):
                    return getattr(client, method).call_async(**kwargs).result()
            except eventlet.Timeout:
                raise Unavailable(f"{target} did not answer within {wait:.1f}s")
            except CadreError:
                raise
            except (RemoteError, OSError, ConnectionError, OperationalError) as exc:
                raise Unavailable(f"{target} could not be asked ({type(exc).__name__})")

        return ask
