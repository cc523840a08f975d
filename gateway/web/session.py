"""Console sessions and protection against cross-site requests.

Signing in checks a principal's token once, through the gateway's own Authenticator, and keeps only
``(sha256(session id) → principal name, role and token generation, CSRF secret, expiry)`` in the
gateway's database. Every later request re-checks the principal: revoked, expired or given a new token
(a new generation) since, the session has ended (API.md "Operating it").
The token itself is never stored and never put in a cookie. The cookie carries the random session
id, HttpOnly and SameSite=Strict. Every form carries a CSRF token (the session's, or for visitors
without a session a double-submit value from their own HttpOnly SameSite=Strict cookie), and a
POST whose Origin is another site is refused before anything else.
"""

import hashlib
import hmac
import secrets
from datetime import timedelta
from urllib.parse import urlparse

from mongoengine import DateTimeField, Document, IntField, StringField

from gateway.auth import live_generation

from services.common.clock import utcnow
from services.common.errors import CadreError

SESSION_COOKIE = "cadre_session"
VISITOR_COOKIE = "cadre_csrf"
SESSION_SECONDS = 8 * 3600  # a working day; signing out ends it earlier


class WebSession(Document):
    """A signed-in console visitor; the key is a hash of the cookie's session id."""

    sid_hash = StringField(required=True, unique=True)
    name = StringField(required=True)
    role = StringField(required=True)
    generation = IntField()  # the principal's token generation at sign-in
    csrf = StringField(required=True)
    created_at = DateTimeField(default=utcnow)
    expires_at = DateTimeField(required=True)
    meta = {"collection": "web_sessions"}


class CsrfRefused(CadreError):
    status, default_code, title = 403, "csrf", "Cross-site request refused"


def _hash(sid):
    return hashlib.sha256(sid.encode("utf-8")).hexdigest()


def open_session(name, role):
    """A new session for the principal; returns the session id for the cookie."""
    sid = secrets.token_urlsafe(32)
    WebSession(
        sid_hash=_hash(sid),
        name=name,
        role=role,
        generation=live_generation(name),
        csrf=secrets.token_urlsafe(24),
        expires_at=utcnow() + timedelta(seconds=SESSION_SECONDS),
    ).save(force_insert=True)
    return sid


def current(request):
    """The request's live session, or None."""
    sid = request.cookies.get(SESSION_COOKIE)
    if not sid or len(sid) > 100:
        return None
    found = WebSession.objects(sid_hash=_hash(sid)).first()
    if found is None:
        return None
    expires = found.expires_at
    if expires.tzinfo is None:
        expires = expires.replace(tzinfo=utcnow().tzinfo)
    if expires <= utcnow() or found.generation is None or live_generation(found.name) != found.generation:
        # past its day, or its principal was revoked, expired or given a new token since sign-in
        found.delete()
        return None
    return found


def close_session(request):
    sid = request.cookies.get(SESSION_COOKIE)
    if sid:
        WebSession.objects(sid_hash=_hash(sid)).delete()


def visitor_token(request):
    """The double-submit value of a visitor without a session (made when absent)."""
    value = request.cookies.get(VISITOR_COOKIE)
    return value if value and 20 <= len(value) <= 100 else None


def csrf_token(request, session, fresh_visitor):
    if session is not None:
        return session.csrf
    return visitor_token(request) or fresh_visitor


def check_post(request, session):
    """Refuse a POST from another origin, or without this visitor's CSRF token."""
    origin = request.headers.get("Origin")
    if origin and origin != "null":
        if urlparse(origin).netloc != request.host:
            raise CsrfRefused("this form was sent from another site", "csrf")
    elif origin == "null":
        raise CsrfRefused("this form was sent from an opaque origin", "csrf")
    given = request.form.get("csrf", "")
    expected = session.csrf if session is not None else visitor_token(request)
    if not expected or not given or not hmac.compare_digest(given, expected):
        raise CsrfRefused("the form's security token is missing or stale; reload the page and try again", "csrf")


def set_cookie(response, name, value, request, max_age=None):
    response.set_cookie(
        name, value, max_age=max_age, path="/", httponly=True, samesite="Strict", secure=request.is_secure
    )
