"""The templates' environment, one per locale: translations, the labels of the API's codes and the filters."""

import base64
import json
from datetime import datetime, timedelta, timezone
from html import escape
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup

from gateway.web import i18n, readable
from gateway.web.labels import LABELS, PROBLEMS
from services.common.clock import as_utc

TEMPLATES = Path(__file__).resolve().parent / "templates"
BEIJING = timezone(timedelta(hours=8))


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


def _parse_json(text):
    try:
        return json.loads(text) if text else None
    except ValueError:
        return None


def _html_escaped(value):
    """Data escaped as ``html.escape`` does (``&#x27;``, ``&quot;``): the API's printable answers have always
    been escaped so, and clients may compare them."""
    if hasattr(value, "__html__"):
        return value
    return Markup(escape(str(value)))


def _environment(locale, finalize=None):
    options = {"finalize": finalize} if finalize else {}
    env = Environment(
        loader=FileSystemLoader(str(TEMPLATES)),
        autoescape=select_autoescape(["html"]),
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
        **options,
    )
    translations = i18n.load(locale)
    env.install_gettext_translations(translations, newstyle=True)
    env.filters["label"] = lambda value: translations.gettext(LABELS[value]) if value in LABELS else value
    env.filters["problem_meaning"] = lambda code: translations.gettext(PROBLEMS[code]) if code in PROBLEMS else ""
    env.filters["bjt"] = _beijing
    env.filters["entry_fragment"] = _entry_fragment
    env.filters["tojson_pretty"] = lambda value: json.dumps(value, ensure_ascii=False, indent=1)
    env.filters["parse_json"] = _parse_json
    # people and bases in words: "张三 (C-0012)", "ballot session of 12 May 2026, 23 of 30 voted"
    env.filters["cadre"] = readable.cadre
    env.filters["basis"] = lambda value, sessions=None, campaigns=None: readable.basis(
        value, sessions, translations.gettext, locale, campaigns
    )
    env.filters["day"] = lambda value: readable.day(value, locale)
    env.globals["locale"] = locale
    env.globals["html_lang"] = i18n.HTML_LANG[locale]
    return env, translations


# The pages' environments, and those of the API's printable answers (the same templates).
ENVIRONMENTS = {locale: _environment(locale) for locale in i18n.LOCALES}
PRINTABLE = {locale: _environment(locale, _html_escaped)[0] for locale in i18n.LOCALES}


def printable(template, locale, **values):
    """A self-contained page the API answers with (no session, no forms)."""
    return PRINTABLE[locale].get_template(template).render(**values)
