"""How an HTTP endpoint maps onto a service RPC: one ``Route`` per endpoint of API.md."""
from dataclasses import dataclass, field
from typing import Callable, Optional



@dataclass(frozen=True)
class Route:
    """One endpoint.

    The RPC ``service.method`` is called with the path parameters as keyword arguments, plus
    ``body`` (the loaded ``body`` schema, or the raw text for ``csv`` routes) and ``query`` (the
    loaded ``query`` schema) when the route declares them. ``render`` may turn the RPC result
    into a werkzeug Response (HTML, Atom, CSV); otherwise it is answered as JSON with ``status``.
    ``before`` may check the request further (for rules that depend on the caller's role) and
    may return extra keyword arguments for the RPC.
    """

    method: str
    rule: str
    service: str
    rpc: str
    summary: str
    body: Optional[type] = None
    query: Optional[type] = None
    response: Optional[type] = None
    status: int = 200
    csv: bool = False
    rate_limited: object = False  # True: every request counts; "refusals": only refused ballots count
    render: Optional[Callable] = None
    before: Optional[Callable] = None
    tags: tuple = field(default_factory=tuple)

    @property
    def key(self):
        return (self.method, self.rule)
