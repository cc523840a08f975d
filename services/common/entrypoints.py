"""The entrypoint decorators services use: nameko's, told which errors are the caller's fault,
and an RPC that will not act on a request whose caller has already given up."""
import logging
import sys
import time

from nameko.rpc import Rpc
from nameko.timer import timer

from services.common.context import DEADLINE
from services.common.errors import CadreError, Unavailable
from services.common.events import event_handler

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
                self.rpc_consumer.handle_result(message, None, sys.exc_info())
            return
        super().handle_message(body, message)


# A CadreError is an answer, not a failure of the service: logged without alarm.
rpc = DeadlineRpc.decorator(expected_exceptions=(CadreError,))

__all__ = ["rpc", "event_handler", "timer"]
