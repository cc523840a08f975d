"""Prometheus metrics: RED for every entrypoint, the chassis' own counters, and /metrics per process.

Names start with ``cadre_``, use base units and ``_total`` for counters, and never carry ids.
"""

import time

from nameko.extensions import DependencyProvider
from prometheus_client import CONTENT_TYPE_LATEST, Counter, Gauge, Histogram, generate_latest, start_http_server

from services.common import config

ENTRYPOINT_REQUESTS = Counter(
    "cadre_entrypoint_requests_total",
    "Entrypoint invocations (RPC, HTTP, event, timer) by outcome.",
    ["service", "kind", "entrypoint", "outcome"],
)
ENTRYPOINT_DURATION = Histogram(
    "cadre_entrypoint_duration_seconds",
    "Time spent in an entrypoint.",
    ["service", "kind", "entrypoint"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
HTTP_REQUESTS = Counter(
    "cadre_http_requests_total", "HTTP requests served by the gateway.", ["method", "endpoint", "status"]
)
HTTP_DURATION = Histogram(
    "cadre_http_request_duration_seconds",
    "Time to answer an HTTP request at the gateway.",
    ["method", "endpoint"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
EVENTS_PUBLISHED = Counter("cadre_events_published_total", "Events published from the outbox.", ["service", "type"])
OUTBOX_BACKLOG = Gauge("cadre_outbox_backlog", "Events written but not yet confirmed by the broker.", ["service"])
EVENTS_DEAD_LETTERED = Counter(
    "cadre_events_dead_lettered_total",
    "Events sent to the dead-letter queue after their last attempt.",
    ["service", "type"],
)
EVENTS_RETRIED = Counter(
    "cadre_events_retried_total", "Failed event deliveries queued for another attempt.", ["service", "type"]
)
EVENTS_REJECTED = Counter(
    "cadre_events_rejected_total",
    "Events dead-lettered unhandled: unsigned, or not signed by their source.",
    ["service", "reason"],
)
RPC_REJECTED = Counter(
    "cadre_rpc_rejected_total",
    "RPC requests refused unrun: caller context missing, forged or expired.",
    ["service", "reason"],
)


def _kind(entrypoint):
    name = type(entrypoint).__name__.lower()
    for kind in ("rpc", "http", "timer", "event"):
        if kind in name:
            return kind
    return name


def _outcome(exc_info):
    if exc_info is None:
        return "ok"
    status = getattr(exc_info[1], "status", 500)
    return "client_error" if 400 <= status < 500 else "error"


class Metrics(DependencyProvider):
    """Times every worker and serves this process's registry on ``<SERVICE>_METRICS_PORT``."""

    _served_ports = set()

    def __init__(self, serve=True):
        self.serve = serve

    def setup(self):
        self.service_name = self.container.service_name
        if self.serve:
            port = config.metrics_port(self.service_name)
            if port and port not in Metrics._served_ports:
                start_http_server(port, addr=config.get("GATEWAY_HOST"))
                Metrics._served_ports.add(port)

    def worker_setup(self, worker_ctx):
        # not worker_ctx.data: that is context data and would travel in RPC headers
        worker_ctx.cadre_started = time.perf_counter()

    def worker_result(self, worker_ctx, result=None, exc_info=None):
        started = getattr(worker_ctx, "cadre_started", None)
        kind = _kind(worker_ctx.entrypoint)
        name = worker_ctx.entrypoint.method_name
        ENTRYPOINT_REQUESTS.labels(self.service_name, kind, name, _outcome(exc_info)).inc()
        if started is not None:
            ENTRYPOINT_DURATION.labels(self.service_name, kind, name).observe(time.perf_counter() - started)

    def get_dependency(self, worker_ctx):
        return self


def exposition():
    """(body, content type) of this process's metrics."""
    return generate_latest(), CONTENT_TYPE_LATEST
