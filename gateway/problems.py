"""problem+json responses (RFC 9457) and the gateway's other response helpers."""

import json

from werkzeug.wrappers import Response

PROBLEM = "application/problem+json"


def json_text(payload):
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":"))


def json_response(status, payload, request_id, content_type="application/json", headers=None):
    response = Response(json_text(payload), status=status, content_type=f"{content_type}; charset=utf-8")
    response.headers["X-Request-ID"] = request_id
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def problem_response(error, request_id, headers=None):
    return json_response(error.status, error.problem(), request_id, PROBLEM, headers)
