"""How an HTTP endpoint maps onto a service RPC: one ``Route`` per endpoint of API.md, what the request
pipeline reads of a request (``Inputs``) and what it answers (``Answer``)."""

import json
from dataclasses import dataclass, field
from typing import Callable, Optional

from werkzeug.datastructures import LanguageAccept, MIMEAccept, MultiDict
from werkzeug.wrappers import Response

from gateway.problems import json_response

JSON = "application/json; charset=utf-8"


@dataclass(frozen=True)
class Route:
    """One endpoint.

    The RPC ``service.method`` is called with the path parameters as keyword arguments, plus
    ``body`` (the loaded ``body`` schema, or the raw text for ``csv`` routes) and ``query`` (the
    loaded ``query`` schema) when the route declares them. ``render(result, inputs)`` may turn the RPC
    result into an ``Answer`` of another form (HTML, Atom, CSV); otherwise it is answered as JSON
    with ``status``.
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


@dataclass(frozen=True)
class Inputs:
    """What the pipeline reads of one request, whoever sent it.

    The body is read only once the caller is authorized and within the rate limit (a refused caller's
    body is never read), hence a function; it gives the raw bytes, which the idempotency digest covers.
    """

    path: str
    request_id: str
    query: MultiDict = field(default_factory=MultiDict)
    read_body: Callable[[], bytes] = lambda: b""
    accept: MIMEAccept = field(default_factory=MIMEAccept)
    languages: LanguageAccept = field(default_factory=LanguageAccept)
    idempotency_key: Optional[str] = None
    base_url: str = ""  # the request's URL without its query: links in an answer (the Atom feed) start there


@dataclass
class Answer:
    """An answer: the RPC's result (or a refusal's problem) as data, or the text (or bytes) a route
    rendered the result as."""

    status: int
    data: object = None
    text: object = None
    content_type: str = JSON
    headers: dict = field(default_factory=dict)

    @classmethod
    def refusal(cls, error):
        return cls(error.status, error.problem(), content_type="application/problem+json")

    @property
    def ok(self):
        return 200 <= self.status < 300

    @property
    def problem(self):
        return self.body if not self.ok and isinstance(self.body, dict) else None

    @property
    def body(self):
        """The answer as a page reads it: JSON as data, anything else as its text."""
        if self.text is None:
            return self.data
        if "json" in self.content_type:
            return json.loads(self.text) if self.text else {}
        return self.text

    def response(self, request_id):
        if self.text is None:
            return json_response(self.status, self.data, request_id, headers=self.headers)
        response = Response(self.text, status=self.status, content_type=self.content_type)
        for name, value in self.headers.items():
            response.headers[name] = value
        return response
