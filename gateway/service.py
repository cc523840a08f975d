"""The HTTP gateway: authentication, authorization, validation, idempotency and RPC deadlines
in front of the four services (API.md "Conventions")."""

import logging
import re
import time
import uuid

import eventlet
from kombu import Connection
from nameko.web.handlers import HttpRequestHandler, http
from pymongo.errors import ConnectionFailure, ExecutionTimeout
from werkzeug.routing import PathConverter, Rule
from werkzeug.wrappers import Response

from gateway import idempotency, logfilter, openapi, parsing, pipeline
from gateway.auth import Authenticator
from gateway.backend import SERVICES, Backend
from gateway.limits import SharedRateLimiter
from gateway.pipeline import Inputs, Pipeline
from gateway.problems import json_response, problem_response
from gateway.web import site
from services.common import config, metrics as chassis_metrics
from services.common.context import current_request_id
from services.common.errors import CadreError, RateLimited, Unavailable
from services.common.metrics import Metrics
from services.common.mongo import Mongo
from services.common.ratelimit import apply_trusted_proxies, parse_trusted_proxies

log = logging.getLogger(__name__)
logfilter.install()

REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
PRIVATE_CACHE = {"Cache-Control": "no-store"}
HSTS = "max-age=31536000; includeSubDomains"


class _AnyPath(PathConverter):
    """werkzeug's ``path`` without the newline blind spot: a path segment holding a control character
    (``%0A``) must reach ``api`` and get a problem+json 404, not nameko's bare HTML one."""

    regex = "[^/](?s:.*?)"


class _ApiRule(Rule):
    def get_converter(self, variable_name, converter_name, args, kwargs):
        if converter_name == "anypath":
            return _AnyPath(self.map, *args, **kwargs)
        return super().get_converter(variable_name, converter_name, args, kwargs)


class _ApiHttp(HttpRequestHandler):
    def get_url_rule(self):
        return _ApiRule(self.url, methods=self.method.split(","))


api_http = _ApiHttp.decorator


def _strict_transport(request, response):
    """HSTS on answers to requests that came over HTTPS (through a trusted proxy: see TRUSTED_PROXIES)."""
    if request.is_secure:
        response.headers["Strict-Transport-Security"] = HSTS
    return response


def _problem_headers(error):
    """Headers a refusal carries besides its body: when to come back, and whether it is a kept answer replayed."""
    headers = {}
    if isinstance(error, RateLimited):
        headers["Retry-After"] = error.retry_after
    if getattr(error, "replayed", False):  # set by applied.unwrap on a refusal the service kept for the key
        headers[idempotency.REPLAYED_HEADER] = "true"
    return headers or None


def _request_id(request):
    given = request.headers.get("X-Request-ID", "")
    return given if REQUEST_ID.match(given) else str(uuid.uuid4())


class GatewayService:
    name = "gateway"

    db = Mongo("gateway")
    backend = Backend()
    metrics = Metrics(serve=False)  # the gateway's /metrics is served on its own HTTP port

    auth = Authenticator()
    # shared by every replica (gateway/limits.py): a client does not get N times the rate from N gateways
    public_limiter = SharedRateLimiter(
        "public", config.get_float("PUBLIC_RATE_PER_SECOND"), config.get_float("PUBLIC_RATE_BURST")
    )
    refusal_limiter = SharedRateLimiter(
        "ballot-refusals",
        config.get_float("BALLOT_REFUSALS_PER_MINUTE") / 60,
        config.get_float("BALLOT_REFUSALS_PER_MINUTE"),
    )
    trusted_proxies = parse_trusted_proxies(config.get("TRUSTED_PROXIES"))

    @http("GET", "/health")
    def health(self, request):
        checks = {}
        try:
            with Connection(config.get("AMQP_URI"), connect_timeout=config.get_float("HEALTH_TIMEOUT_SECONDS")) as conn:
                conn.ensure_connection(max_retries=1)
            checks["broker"] = "ok"
        except Exception as exc:
            checks["broker"] = f"unreachable ({type(exc).__name__})"
        try:
            self.db.ping()
            checks["database"] = "ok"
        except Exception as exc:
            checks["database"] = f"unreachable ({type(exc).__name__})"
        timeout = config.get_float("HEALTH_TIMEOUT_SECONDS")
        pool = eventlet.GreenPool()

        def ping(service):
            try:
                answer = self.backend(service, "health", timeout=timeout)
                return service, "ok" if answer.get("database") else "database unreachable"
            except CadreError as exc:
                return service, exc.detail or exc.code
            except Exception as exc:
                return service, f"error ({type(exc).__name__})"

        for service, state in pool.imap(ping, SERVICES):
            checks[service] = state
        healthy = all(value == "ok" for value in checks.values())
        body = {"status": "ok" if healthy else "unavailable", "checks": checks}
        return json_response(200 if healthy else 503, body, _request_id(request), headers=PRIVATE_CACHE)

    @http("GET", "/metrics")
    def metrics_endpoint(self, request):
        body, content_type = chassis_metrics.exposition()
        return Response(body, status=200, content_type=content_type)

    @http("GET", "/openapi.json")
    def openapi_document(self, request):
        return json_response(200, openapi.document(), _request_id(request))

    @property
    def pipeline(self):
        """This worker's request pipeline (the backend is injected per worker)."""
        return Pipeline(self.auth, self.backend, self.public_limiter, self.refusal_limiter)

    @http("GET,POST", "/")
    def web_home(self, request):
        """The web pages (gateway/web): they act through the pipeline as the signed-in principal."""
        return _strict_transport(
            request, site.serve(self.pipeline, apply_trusted_proxies(request, self.trusted_proxies))
        )

    @http("GET,POST", "/web/<path:path>")
    def web_pages(self, request, path):
        return _strict_transport(
            request, site.serve(self.pipeline, apply_trusted_proxies(request, self.trusted_proxies))
        )

    @api_http("GET,POST,PUT,PATCH,DELETE", "/api/<anypath:path>")
    def api(self, request, path):
        request_id = _request_id(request)
        current_request_id.set(request_id)
        started = time.perf_counter()
        apply_trusted_proxies(request, self.trusted_proxies)
        route = None
        try:
            route, params = pipeline.match(request.method, request.path)
            response = self._serve(route, params, request, request_id)
        except CadreError as error:
            response = problem_response(error, request_id, _problem_headers(error))
        except (ConnectionFailure, ExecutionTimeout):
            # the gateway's own database (tokens, rate buckets) is down or restarting
            response = problem_response(Unavailable("the gateway's database is unreachable"), request_id)
        except Exception:
            log.exception("unexpected error serving %s %s", request.method, route.rule if route else "?")
            response = problem_response(
                CadreError("the gateway failed; the request id identifies it in the logs", "internal"), request_id
            )
        endpoint = route.rule if route else "unmatched"
        chassis_metrics.HTTP_REQUESTS.labels(request.method, endpoint, str(response.status_code)).inc()
        chassis_metrics.HTTP_DURATION.labels(request.method, endpoint).observe(time.perf_counter() - started)
        response.headers["X-Request-ID"] = request_id
        return _strict_transport(request, response)

    @api_http("GET", "/log/<anypath:path>")
    def transparency_log(self, request, path):
        """The records log's C2SP checkpoint and hash tiles: routed through the same table as ``/api``."""
        return self.api(request, path)

    def _serve(self, route, params, request, request_id):
        """One API request through the pipeline, as the bearer token's principal."""
        serving = self.pipeline
        principal = serving.bearer_principal(route, request.args, request.headers.get("Authorization"))
        inputs = Inputs(
            path=request.path,
            request_id=request_id,
            query=request.args,
            read_body=lambda: parsing.read_body(request),
            accept=request.accept_mimetypes,
            languages=request.accept_languages,
            idempotency_key=request.headers.get("Idempotency-Key"),
            base_url=request.base_url,
        )
        return serving.serve(route, params, inputs, request.remote_addr or "unknown", principal).response(request_id)
