"""One API request from authorization to answer, for the API entrypoint and the web pages alike.

Authorization by the one table, the public rate limit, reading and validating the body and query,
idempotency, the RPC with its deadline and counting refused ballots all happen here, once. The API
entrypoint hands in a bearer token's principal and turns the answer into its HTTP response; a page
hands in its session's principal and reads the answer as data. So whatever the console refuses is the
API's refusal, with its problem code and detail.
"""

import time

from werkzeug.exceptions import MethodNotAllowed, NotFound as RouteNotFound
from werkzeug.routing import Map, Rule

from gateway import authz, idempotency, parsing
from gateway.routes import ROUTES
from gateway.routing import Answer, Inputs  # noqa: F401 (what a caller builds and gets back)
from services.common import applied
from services.common.errors import CadreError, Forbidden, NotFound, RateLimited, Unauthorized
from services.common.ratelimit import retry_after_header

# Ballots count against a client's rate only when refused (API.md "Conventions"): a whole meeting
# votes from one address, and a valid unused token is never refused for rate.
REFUSED_BALLOT_CODES = frozenset({"invalid_token", "token_used", "session_closed"})


def _check_table():
    missing = [route.key for route in ROUTES if route.key not in authz.TABLE]
    if missing:
        raise RuntimeError(f"routes without an authorization row: {missing}")
    unknown = (idempotency.SECRET_BEARING | idempotency.UNRECORDED) - {route.key for route in ROUTES}
    if unknown:  # a renamed route would silently lose its idempotency rule
        raise RuntimeError(f"idempotency rules for routes that do not exist: {sorted(unknown)}")


_check_table()
URL_MAP = Map(
    [Rule(route.rule, endpoint=route, methods=[route.method]) for route in ROUTES],
    strict_slashes=False,
    converters={"int": parsing.AsciiIntegerConverter},
)


class MethodNotAllowedError(CadreError):
    status, default_code, title = 405, "method_not_allowed", "Method not allowed"


def match(method, path):
    """The route and path parameters of ``method path``; 405 or 404 problems when there is none."""
    try:
        return URL_MAP.bind("localhost").match(path, method=method)
    except MethodNotAllowed:
        raise MethodNotAllowedError(f"{method} is not allowed on {path}")
    except RouteNotFound:
        raise NotFound(f"no endpoint {method} {path}")


class Pipeline:
    """The gateway's authenticator, RPC backend and rate limiters, and the one way requests use them."""

    def __init__(self, auth, backend, public_limiter, refusal_limiter):
        self.auth, self.backend = auth, backend
        self.public_limiter, self.refusal_limiter = public_limiter, refusal_limiter

    # the pages find their API route here, so that gateway.web need not import this module (which imports routes)
    match = staticmethod(match)

    @staticmethod
    def needs_principal(route, query):
        """Does this request need a principal at all (the query string counts too)?"""
        return authz.allowed_roles(route.method, route.rule, query) != authz.PUBLIC

    def bearer_principal(self, route, query, authorization):
        """The API's caller: the bearer token's (name, role), or None where the route is public."""
        return self.auth.principal(authorization) if self.needs_principal(route, query) else None

    def count_refusal(self, client):
        """One more refused ballot from ``client``: past the limit, 429 instead of the refusal."""
        allowed, retry_after = self.refusal_limiter.check(client, time.time())  # the wall clock: shared buckets
        if not allowed:
            error = RateLimited("too many refused ballots from this client; retry later", "rate_limited")
            error.retry_after = retry_after_header(retry_after)
            raise error

    def serve(self, route, params, inputs, client, principal):
        """Serve one request of ``principal`` ((name, role), or None for the public) from ``client``
        (its address); returns an Answer or raises the CadreError the API answers with."""
        roles = authz.allowed_roles(route.method, route.rule, inputs.query)
        caller_name, caller_role = None, None
        if roles != authz.PUBLIC:
            if principal is None:
                raise Unauthorized("sign in first")
            caller_name, caller_role = principal
            if caller_role not in roles:
                raise Forbidden(f"role {caller_role!r} may not {route.method} {route.rule}")
        if route.rate_limited is True:
            # the wall clock, not a monotonic one: the replicas share the buckets
            allowed, retry_after = self.public_limiter.check(client, time.time())
            if not allowed:
                error = RateLimited("too many requests from this client; retry later", "rate_limited")
                error.retry_after = retry_after_header(retry_after)
                raise error
        raw = inputs.read_body() if route.method in ("POST", "PUT", "PATCH") else b""

        kwargs = dict(params)
        if route.body is not None:
            kwargs["body"] = parsing.load(route.body, parsing.parse_json(raw), "body")
        elif route.csv:
            kwargs["body"] = parsing.csv_text(raw)
        if route.query is not None:
            kwargs["query"] = parsing.load_query(route.query, inputs.query)
        caller = (caller_name, caller_role, inputs.request_id)
        if route.before is not None:
            kwargs.update(route.before(caller_role, kwargs) or {})

        scope = caller_name or "public"  # public POSTs keep no record (idempotency.UNRECORDED)
        keyed = idempotency.keyed_request(route.key, scope, inputs.idempotency_key) if route.method == "POST" else None
        # the service keeps the key's one record: a retry's first answer comes back from there, replayed
        request_key = keyed.context(route.method, inputs.path, raw) if keyed else None
        try:
            reply = self.backend(route.service, route.rpc, caller, request_key=request_key, **kwargs)
            result, replayed = applied.unwrap(reply) if keyed else (reply, False)
            answer = route.render(result, inputs) if route.render else Answer(route.status, result)
        except CadreError as error:
            if route.rate_limited == "refusals" and error.code in REFUSED_BALLOT_CODES:
                self.count_refusal(client)
            raise
        if replayed:
            answer.headers[idempotency.REPLAYED_HEADER] = "true"
        return answer
