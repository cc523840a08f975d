"""Pages act through the gateway's own API dispatch, as the session's principal.

A page never talks to a service directly: it builds the same HTTP request a client would send to
``/api/...`` and runs it through ``GatewayService._serve`` — the one authorization table, the
route's schema validation, idempotency, the rate limit and the RPC deadline — with the session's
principal in place of a bearer token. So whatever the console refuses is the API's refusal, with
its problem code and detail.
"""
import json
from dataclasses import dataclass
from urllib.parse import urlencode

from werkzeug.exceptions import MethodNotAllowed, NotFound as RouteNotFound
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

from gateway import authz
from gateway.web.session import SessionAuth
from services.common.errors import CadreError, NotFound


@dataclass
class Answer:
    status: int
    body: object  # the JSON answer, a problem dict, or text (HTML, CSV)
    content_type: str = "application/json"

    @property
    def ok(self):
        return 200 <= self.status < 300

    @property
    def problem(self):
        return self.body if not self.ok and isinstance(self.body, dict) else None


class _AsPrincipal:
    """What ``_serve`` uses of the service instance, with the session's principal as the caller."""

    def __init__(self, service, session):
        self.auth = SessionAuth(session)
        self.backend = service.backend
        self.public_limiter = service.public_limiter
        self.refusal_limiter = service.refusal_limiter

    def _count_refusal(self, client):
        from gateway.service import GatewayService  # the service imports this package
        return GatewayService._count_refusal(self, client)


def allowed(session, method, rule):
    """May the session's role call this endpoint (the gateway's one table)?"""
    roles = authz.allowed_roles(method, rule)
    if roles == authz.PUBLIC:
        return True
    return session is not None and session.role in roles


def call(service, page_request, session, method, path, *, body=None, query=None, csv=None, accept=None,
         idempotency_key=None, request_id=None):
    """Run one API request as the session's principal (or as the public); returns an Answer."""
    from gateway.service import URL_MAP, GatewayService  # the service imports this package

    headers = {}
    if accept:
        headers["Accept"] = accept
    if idempotency_key:
        headers["Idempotency-Key"] = idempotency_key
    if request_id:
        headers["X-Request-ID"] = request_id
    data, content_type = None, None
    if csv is not None:
        data, content_type = csv.encode("utf-8"), "text/csv"
    elif method == "POST":
        data, content_type = json.dumps(body or {}, ensure_ascii=False).encode("utf-8"), "application/json"
    query = {k: v for k, v in (query or {}).items() if v not in (None, "")}
    builder = EnvironBuilder(path=path, method=method, query_string=urlencode(query), data=data,
                             content_type=content_type, headers=headers,
                             environ_base={"REMOTE_ADDR": page_request.remote_addr or "unknown"})
    request = Request(builder.get_environ())
    try:
        try:
            route, params = URL_MAP.bind("localhost").match(path, method=method)
        except (MethodNotAllowed, RouteNotFound):
            raise NotFound(f"no endpoint {method} {path}")
        response = GatewayService._serve(_AsPrincipal(service, session), route, params, request,
                                         request_id or "web")
    except CadreError as error:
        return Answer(error.status, error.problem(), "application/problem+json")
    text = response.get_data(as_text=True)
    kind = response.content_type or ""
    if "json" in kind:
        return Answer(response.status_code, json.loads(text) if text else {}, kind)
    return Answer(response.status_code, text, kind)
