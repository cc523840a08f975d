"""RPC to the services with a deadline on every call: a slow or absent service is a quick 503."""

import time

import eventlet
from kombu.exceptions import OperationalError
from nameko.exceptions import RemoteError
from nameko.rpc import Client, ClusterRpc

from services.common import config, signing
from services.common import remote_errors  # noqa: F401  (errors cross RPC as themselves)
from services.common.context import ANSWER_KEY, DEADLINE, REQUEST_DIGEST, REQUEST_KEY, context_for
from services.common.errors import CadreError, Unavailable
from services.common.replies import ReplyQueueDeclaredOnce, UnconfirmedRequests

SERVICES = ("nomination", "examination", "supervision", "records")
# pymongo's connection failures, by the class name nameko carries across RPC: the service's database
# is down or restarting, which the caller must hear as 503 unavailable, not as a 500.
DATABASE_UNREACHABLE = {
    "AutoReconnect",
    "ConnectionFailure",
    "ServerSelectionTimeoutError",
    "NetworkTimeout",
    "NotPrimaryError",
    "WaitQueueTimeoutError",
    "ExecutionTimeout",
}


class Backend(UnconfirmedRequests, ReplyQueueDeclaredOnce, ClusterRpc):
    """Injects ``call(service, method, caller, timeout=None, **kwargs)``.

    Requests expire in the queue at the deadline, so a service that comes back after an outage
    does not act on requests whose callers were already told 503.
    """

    def __init__(self):
        timeout = config.get_float("RPC_TIMEOUT_SECONDS")
        super().__init__(
            expiration=timeout,
            retry_policy={"max_retries": 1, "interval_start": 0.2, "interval_step": 0.2, "interval_max": 0.5},
        )

    def setup(self):
        super().setup()
        # At start: the services verify every context with the public key this writes beside it.
        self.signing_key = signing.signing_key("gateway")

    def get_dependency(self, worker_ctx):
        publish = self.publisher.publish
        register = self.reply_listener.register_for_reply

        def call(service, method, caller=None, timeout=None, request_key=None, **kwargs):
            deadline = timeout or config.get_float("RPC_TIMEOUT_SECONDS")
            data = dict(worker_ctx.data)
            if caller is not None:
                data.update(context_for(*caller))
            data[DEADLINE] = f"{time.time() + deadline:.3f}"
            if request_key:  # idempotency.KeyedRequest.context: the service's record id, answer secret, digest
                data[REQUEST_KEY], data[ANSWER_KEY], data[REQUEST_DIGEST] = request_key
            # Signed last, over every cadre_* entry: the services act only on a context the gateway vouches for.
            data = signing.sign_context(self.signing_key, data)
            client = Client(publish, register, data, service, method)
            try:
                with eventlet.Timeout(deadline):
                    return client.call_async(**kwargs).result()
            except eventlet.Timeout:
                raise Unavailable(f"{service} did not answer within {deadline:g}s")
            except CadreError:
                raise
            except RemoteError as exc:
                if exc.exc_type in DATABASE_UNREACHABLE:
                    raise Unavailable(f"{service}'s database is unreachable")
                raise
            except (OSError, ConnectionError, OperationalError) as exc:
                raise Unavailable(f"message broker unreachable ({type(exc).__name__})")

        return call
