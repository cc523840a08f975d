"""Locales of the web pages: Simplified Chinese by default, English on request, from the gettext catalogue.

The catalogue is the .po files under translations/ (extracted with Babel, see docs/web.md); they are
compiled in memory when the gateway starts, so a fresh clone needs no build step and no binary files.
"""
from io import BytesIO
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

DEFAULT = "zh_CN"
LOCALES = ("zh_CN", "en")
HTML_LANG = {"zh_CN": "zh-CN", "en": "en"}
TRANSLATIONS_DIR = Path(__file__).resolve().parent / "translations"
COOKIE = "cadre_lang"


def load(locale):
    """The compiled catalogue of one locale (read from its .po file)."""
    path = TRANSLATIONS_DIR / locale / "LC_MESSAGES" / "messages.po"
    with open(path, "rb") as handle:
        catalog = read_po(handle, locale=locale)
    buffer = BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return Translations(fp=buffer, domain="messages")


def _normal(tag):
    tag = (tag or "").strip().replace("-", "_").lower()
    if tag in ("en", "en_us", "en_gb") or tag.startswith("en_"):
        return "en"
    if tag in ("zh", "zh_cn", "zh_hans", "zh_hans_cn") or tag.startswith("zh"):
        return "zh_CN"
    return None


def negotiate(request):
    """``?lang=`` first, then the language the visitor chose before (cookie), then Accept-Language."""
    for candidate in (request.args.get("lang"), request.cookies.get(COOKIE)):
        chosen = _normal(candidate)
        if chosen:
            return chosen
    for tag, _quality in request.accept_languages:
        chosen = _normal(tag)
        if chosen:
            return chosen
    return DEFAULT
