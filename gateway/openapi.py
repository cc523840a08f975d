"""The OpenAPI 3 document, generated from the routes and their marshmallow schemas with apispec."""

import re
from functools import lru_cache

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from marshmallow import Schema, fields

from gateway import authz
from gateway.routes import ROUTES

RULE_PARAM = re.compile(r"<(?:(\w+):)?(\w+)>")


class Problem(Schema):
    type = fields.String()
    title = fields.String()
    status = fields.Integer()
    detail = fields.String()
    code = fields.String()
    # a field's messages, or for a nested object (``motion``, ``meeting``) its own fields' messages
    errors = fields.Dict(
        keys=fields.String(),
        values=fields.Raw(metadata={"oneOf": [{"type": "array", "items": {"type": "string"}}, {"type": "object"}]}),
    )


def schema_name(schema):
    """Component names qualified by the owning service, so two services' ``WeightsIn`` stay apart."""
    cls = schema if isinstance(schema, type) else type(schema)
    parts = cls.__module__.split(".")
    return f"{parts[1]}.{cls.__name__}" if parts[0] == "services" and len(parts) > 2 else cls.__name__


def _path(rule):
    return RULE_PARAM.sub(lambda m: "{" + m.group(2) + "}", rule)


# Path parameters whose text has a grammar of its own (anything else answers 400 naming the parameter): a
# voter's tracker; C2SP tlog-tiles' L, 0–63 with no leading zeroes (N and .p/W are checked by the service).
PATH_SCHEMAS = {
    ("/api/v1/ballots/<tracker>", "tracker"): {"type": "string", "pattern": "^[0-9a-f]{32}$"},
    ("/log/tile/<level>/<path:path>", "level"): {"type": "string", "pattern": "^(0|[1-9][0-9]?)$"},
}


def _parameters(route):
    params = [
        {
            "name": name,
            "in": "path",
            "required": True,
            "schema": PATH_SCHEMAS.get((route.rule, name))
            or ({"type": "integer", "minimum": 0} if converter == "int" else {"type": "string"}),
        }
        for converter, name in RULE_PARAM.findall(route.rule)
    ]
    if route.query is not None:
        params.append({"in": "query", "schema": route.query})
    return params


# Answers a route gives besides the common ones (API.md names them).
EXTRA_RESPONSES = {
    ("POST", "/api/v1/ballots"): {"403": "Unknown ballot token (`invalid_token`)"},
    ("POST", "/api/v1/ballot-forms"): {"403": "Unknown ballot token (`invalid_token`)"},
}
# Routes whose ``render`` answers in another format: the media types they may answer with.
RENDERED = {
    "render_atom": ("application/atom+xml",),
    "render_dossier": ("application/json", "text/html"),
    "render_results": ("application/json", "text/csv"),
    "render_note": ("text/plain",),
    "render_tile": ("application/octet-stream",),
}


def _success_content(route):
    schema = route.response or {"type": "object"}
    types = RENDERED.get(getattr(route.render, "__name__", ""), ("application/json",))
    return {t: {"schema": schema if t == "application/json" else {"type": "string"}} for t in types}


def _problem(description):
    return {"description": description, "content": {"application/problem+json": {"schema": "Problem"}}}


def _operation(route):
    op = {
        "summary": route.summary,
        "operationId": f"{route.service}.{route.rpc}",
        "tags": list(route.tags),
        "parameters": _parameters(route),
        "responses": {
            str(route.status): {
                "description": "Success",
                "content": _success_content(route),
            },
            "400": _problem("Invalid request (the fields are named in `errors`)"),
            "404": _problem("Unknown resource"),
            "409": _problem("State conflict"),
            "413": _problem("Body over 1 MiB"),
            "422": _problem("A rule of the procedure"),
            "503": _problem("Backend unavailable or too slow"),
        },
    }
    for status, description in EXTRA_RESPONSES.get(route.key, {}).items():
        op["responses"][status] = _problem(description)
    roles = authz.allowed_roles(route.method, route.rule)
    if roles == authz.PUBLIC:
        op["security"] = []
        if route.rate_limited:
            op["responses"]["429"] = _problem("Too many requests from this client")
    else:
        op["security"] = [{"bearer": []}]
        op["responses"]["401"] = _problem("Missing or unknown token")
        op["responses"]["403"] = _problem("The token's role may not do this")
        op["x-roles"] = sorted(roles)
    if route.body is not None:
        op["requestBody"] = {"required": True, "content": {"application/json": {"schema": route.body}}}
    elif route.csv:
        op["requestBody"] = {"required": True, "content": {"text/csv": {"schema": {"type": "string"}}}}
    return op


@lru_cache(maxsize=1)
def document():
    spec = APISpec(
        title="Cadre selection suite",
        version="1.0.0",
        openapi_version="3.0.3",
        plugins=[MarshmallowPlugin(schema_name_resolver=schema_name)],
        info={"description": "The HTTP contract of the gateway (API.md)."},
    )
    spec.components.security_scheme("bearer", {"type": "http", "scheme": "bearer"})
    spec.components.schema("Problem", schema=Problem)
    by_path = {}
    for route in ROUTES:
        by_path.setdefault(_path(route.rule), {})[route.method.lower()] = _operation(route)
    for path, operations in by_path.items():
        spec.path(path=path, operations=operations)
    return spec.to_dict()
