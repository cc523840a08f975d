"""The entrypoint decorators services use: nameko's, told which errors are the caller's fault."""
from functools import partial

from nameko.rpc import rpc as _rpc
from nameko.timer import timer

from services.common.errors import CadreError
from services.common.events import event_handler

# A CadreError is an answer, not a failure of the service: logged without alarm.
rpc = partial(_rpc, expected_exceptions=(CadreError,))

__all__ = ["rpc", "event_handler", "timer"]
