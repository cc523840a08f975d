"""The page request: locale, session, CSRF, rendering, and calling the API as the session's principal."""

import json
import mimetypes
import secrets
import uuid
from pathlib import Path
from urllib.parse import urlencode

from werkzeug.datastructures import MIMEAccept, MultiDict
from werkzeug.security import safe_join
from werkzeug.utils import redirect as werkzeug_redirect
from werkzeug.wrappers import Response

from gateway import authz
from gateway.routing import Answer, Inputs
from gateway.web import i18n, session as sessions
from gateway.web.rendering import ENVIRONMENTS
from services.common.errors import CadreError, Unauthorized

STATIC = Path(__file__).resolve().parent / "static"

# Security headers of every page: scripts and styles only from our own static files, no framing.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
)


class Refused(Exception):
    """A console page the session's role may not see."""


class Page:
    """One page request."""

    def __init__(self, pipeline_, request):
        self.pipeline = pipeline_
        self.request = request
        self.session = sessions.current(request)
        self.locale = i18n.negotiate(request)
        self.env, self.translations = ENVIRONMENTS[self.locale]
        given = request.headers.get("X-Request-ID", "")
        self.request_id = (
            given if given and len(given) <= 128 and given.replace("-", "").isalnum() else str(uuid.uuid4())
        )
        self.fresh_visitor = None
        if self.session is None and not sessions.visitor_token(request):
            self.fresh_visitor = secrets.token_urlsafe(24)
        self.csrf = sessions.csrf_token(request, self.session, self.fresh_visitor)

    # --- translation
    def _(self, message):
        return self.translations.gettext(message)

    # --- the API, as this page's principal
    def api(self, method, path, *, body=None, query=None, csv=None, accept=None, idempotency_key=None):
        """One API request through the gateway's pipeline as the session's principal (or as the public);
        returns its Answer, a refusal being the API's problem with its code and detail."""
        query = MultiDict({k: str(v) for k, v in (query or {}).items() if v not in (None, "")})
        if csv is not None:
            raw = csv if isinstance(csv, bytes) else csv.encode("utf-8")
        elif method == "POST":
            # the body is sent as JSON text so it meets the API's own JSON checks and idempotency digest
            raw = json.dumps(body or {}, ensure_ascii=False).encode("utf-8")
        else:
            raw = b""
        inputs = Inputs(
            path=path,
            request_id=self.request_id,
            query=query,
            read_body=lambda: raw,
            accept=MIMEAccept([(accept, 1)] if accept else []),
            idempotency_key=idempotency_key,
            base_url=self.request.host_url.rstrip("/") + path,
        )
        try:
            route, params = self.pipeline.match(method, path)
            principal = (self.session.name, self.session.role) if self.session is not None else None
            if principal is None and self.pipeline.needs_principal(route, query):
                raise Unauthorized("sign in to the console first")
            return self.pipeline.serve(route, params, inputs, self.request.remote_addr or "unknown", principal)
        except CadreError as error:
            return Answer.refusal(error)

    def rpc(self, service, method, **kwargs):
        """A service call with no route of API.md (the console's list of selections), made like the
        pipeline's, with the session's principal in the signed context; a refusal as an Answer."""
        name, role = (self.session.name, self.session.role) if self.session is not None else (None, None)
        try:
            return Answer(200, self.pipeline.backend(service, method, (name, role, self.request_id), **kwargs))
        except CadreError as error:
            return Answer.refusal(error)

    def can(self, method, rule):
        """May the session's role call this endpoint (the gateway's one table)?"""
        roles = authz.allowed_roles(method, rule)
        if roles == authz.PUBLIC:
            return True
        return self.session is not None and self.session.role in roles

    def require(self, method, rule):
        if not self.can(method, rule):
            raise Refused(f"role {self.session.role if self.session else None!r} may not {method} {rule}")

    def check_post(self):
        sessions.check_post(self.request, self.session)

    def form(self, name, default=""):
        return (self.request.form.get(name) or default).strip()

    def idempotency_key(self):
        """Forms carry a one-time value: sending the same form again (a reload) replays the first answer."""
        value = self.form("idem")
        return value if value and len(value) <= 100 else None

    # --- responses
    def render(self, template, status=200, **values):
        body = self.env.get_template(template).render(
            page=self,
            session=self.session,
            csrf=self.csrf,
            idem=secrets.token_urlsafe(16),
            request=self.request,
            lang_url=self._lang_url,
            **values,
        )
        return self.finish(Response(body, status=status, content_type="text/html; charset=utf-8"))

    def redirect(self, location):
        return self.finish(werkzeug_redirect(location, code=303))

    def _lang_url(self, locale):
        args = self.request.args.to_dict()
        args["lang"] = locale
        return self.request.path + "?" + urlencode(args)

    def finish(self, response):
        chosen = self.request.args.get("lang")
        if chosen and i18n._normal(chosen):
            response.set_cookie(
                i18n.COOKIE,
                i18n._normal(chosen),
                max_age=365 * 86400,
                path="/",
                samesite="Lax",
                secure=self.request.is_secure,
            )
        if self.fresh_visitor:
            sessions.set_cookie(response, sessions.VISITOR_COOKIE, self.fresh_visitor, self.request)
        response.headers["Content-Security-Policy"] = CSP
        response.headers["X-Frame-Options"] = "DENY"
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "same-origin"
        response.headers["Content-Language"] = i18n.HTML_LANG[self.locale]
        response.headers["X-Request-ID"] = self.request_id
        if self.session is not None or self.request.path.startswith("/web/console"):
            response.headers["Cache-Control"] = "no-store"
        response.headers["Vary"] = "Accept-Language, Cookie"
        return response


def static_file(name):
    path = safe_join(str(STATIC), name)
    if path is None or not Path(path).is_file():
        return None
    kind = mimetypes.guess_type(path)[0] or "application/octet-stream"
    if kind.startswith("text/") or kind == "application/javascript":
        kind += "; charset=utf-8"
    with open(path, "rb") as handle:
        response = Response(handle.read(), content_type=kind)
    response.headers["Cache-Control"] = "public, max-age=300"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def entry_result(entry):
    """A record entry's ``result`` (JSON text) as a dict; {} when it is none."""
    try:
        value = json.loads(entry.get("result") or "null")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}
