"""Who is acting and under which request id: set by the gateway, carried by nameko's context data."""

import contextvars
from dataclasses import dataclass

from nameko.extensions import DependencyProvider

from services.common.envelope import make_envelope

ACTOR, ROLE, CORRELATION_ID = "cadre_actor", "cadre_role", "cadre_correlation_id"
# Unix time after which the caller no longer waits for the answer.
DEADLINE = "cadre_deadline"
# The keyed hash of scope + Idempotency-Key of a keyed POST (services/common/applied.py).
REQUEST_KEY = "cadre_request_key"
# The secret, derived from that Idempotency-Key, that the service seals its kept answer under.
ANSWER_KEY = "cadre_answer_key"
# The gateway's keyed digest of that POST's method, path and body: "the same request?" (applied.py).
REQUEST_DIGEST = "cadre_request_digest"

# Read by the JSON log formatter, so every line of a worker carries its request id.
current_request_id = contextvars.ContextVar("current_request_id", default=None)


@dataclass(frozen=True)
class Caller:
    """The principal behind the current worker, as the gateway authenticated it from the token."""

    service: str
    actor: str | None
    role: str | None
    correlation_id: str | None
    request_key: str | None = None
    answer_key: str | None = None
    request_digest: str | None = None

    def envelope(self, type, subject, data):
        """A new event envelope stamped with this caller."""
        return make_envelope(type, self.service, subject, data, actor=self.actor, correlation_id=self.correlation_id)


def context_for(actor, role, correlation_id):
    """The context data the gateway attaches to an RPC call."""
    return {ACTOR: actor or "", ROLE: role or "", CORRELATION_ID: correlation_id or ""}


class RequestContext(DependencyProvider):
    """Injects the ``Caller`` of the current worker."""

    def worker_setup(self, worker_ctx):
        current_request_id.set(worker_ctx.data.get(CORRELATION_ID) or None)

    def get_dependency(self, worker_ctx):
        data = worker_ctx.data
        return Caller(
            service=self.container.service_name,
            actor=data.get(ACTOR) or None,
            role=data.get(ROLE) or None,
            correlation_id=data.get(CORRELATION_ID) or None,
            request_key=data.get(REQUEST_KEY) or None,
            answer_key=data.get(ANSWER_KEY) or None,
            request_digest=data.get(REQUEST_DIGEST) or None,
        )
