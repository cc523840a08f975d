"""The page request: locale, session, CSRF, rendering, and calling the API as the session's principal."""
import base64
import json
import mimetypes
import secrets
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup
from werkzeug.security import safe_join
from werkzeug.utils import redirect as werkzeug_redirect
from werkzeug.wrappers import Response

from gateway.web import dispatch, i18n, session as sessions
from gateway.web.labels import LABELS, PROBLEMS
from services.common.clock import as_utc

HERE = Path(__file__).resolve().parent
STATIC = HERE / "static"
BEIJING = timezone(timedelta(hours=8))

# Security headers of every page: scripts and styles only from our own static files, no framing.
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
       "frame-ancestors 'none'; form-action 'self'; base-uri 'none'")


def _beijing(value, with_zone=True):
    """An RFC 3339 time shown in Beijing time, the time the district works in."""
    if not value:
        return ""
    moment = as_utc(value if isinstance(value, datetime) else str(value))
    if moment is None:
        return str(value)
    text = moment.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M:%S")
    return text + " (UTC+8)" if with_zone else text


def _entry_fragment(entry):
    """The record entry in a URL fragment (never sent to a server) for the check page."""
    fields = {k: v for k, v in entry.items() if k not in ("leaf_hash", "proof")}
    raw = json.dumps(fields, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def _environment(locale):
    env = Environment(loader=FileSystemLoader(str(HERE / "templates")), autoescape=select_autoescape(["html"]),
                      extensions=["jinja2.ext.i18n"], trim_blocks=True, lstrip_blocks=True)
    translations = i18n.load(locale)
    env.install_gettext_translations(translations, newstyle=True)
    env.filters["label"] = lambda value: translations.gettext(LABELS[value]) if value in LABELS else value
    env.filters["problem_meaning"] = lambda code: translations.gettext(PROBLEMS[code]) if code in PROBLEMS else ""
    env.filters["bjt"] = _beijing
    env.filters["entry_fragment"] = _entry_fragment
    env.filters["tojson_pretty"] = lambda value: json.dumps(value, ensure_ascii=False, indent=1)
    env.filters["parse_json"] = _parse_json
    env.globals["locale"] = locale
    env.globals["html_lang"] = i18n.HTML_LANG[locale]
    return env, translations


def _parse_json(text):
    try:
        return json.loads(text) if text else None
    except ValueError:
        return None


ENVIRONMENTS = {locale: _environment(locale) for locale in i18n.LOCALES}


class Page:
    """One page request."""

    def __init__(self, service, request):
        self.service = service
        self.request = request
        self.session = sessions.current(request)
        self.locale = i18n.negotiate(request)
        self.env, self.translations = ENVIRONMENTS[self.locale]
        given = request.headers.get("X-Request-ID", "")
        self.request_id = given if given and len(given) <= 128 and given.replace("-", "").isalnum() \
            else str(uuid.uuid4())
        self.fresh_visitor = None
        if self.session is None and not sessions.visitor_token(request):
            self.fresh_visitor = secrets.token_urlsafe(24)
        self.csrf = sessions.csrf_token(request, self.session, self.fresh_visitor)

    # --- translation
    def _(self, message):
        return self.translations.gettext(message)

    # --- the API, as this page's principal
    def api(self, method, path, **kwargs):
        return dispatch.call(self.service, self.request, self.session, method, path, request_id=self.request_id,
                             **kwargs)

    def can(self, method, rule):
        return dispatch.allowed(self.session, method, rule)

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
            page=self, session=self.session, csrf=self.csrf, idem=secrets.token_urlsafe(16),
            request=self.request, lang_url=self._lang_url, **values)
        return self.finish(Response(body, status=status, content_type="text/html; charset=utf-8"))

    def redirect(self, location):
        return self.finish(werkzeug_redirect(location, code=303))

    def _lang_url(self, locale):
        args = self.request.args.to_dict()
        args["lang"] = locale
        from urllib.parse import urlencode
        return self.request.path + "?" + urlencode(args)

    def finish(self, response):
        chosen = self.request.args.get("lang")
        if chosen and i18n._normal(chosen):
            response.set_cookie(i18n.COOKIE, i18n._normal(chosen), max_age=365 * 86400, path="/", samesite="Lax",
                                secure=self.request.is_secure)
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


def markup(text):
    return Markup(text)
