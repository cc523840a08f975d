"""Locales of the web pages: Simplified Chinese by default, English on request, from the gettext catalogue.

The catalogue is the .po files under translations/ (extracted with Babel, see docs/web.md). The production
install compiles them to .mo files (deploy/install.sh); a fresh clone has none, and its .po files are compiled
in memory when the gateway starts, so development needs no build step and no binary files.
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


def compile_catalogue(locale):
    """The .mo bytes of one locale's .po, compiled as the gateway compiles it in memory."""
    path = TRANSLATIONS_DIR / locale / "LC_MESSAGES" / "messages.po"
    with open(path, "rb") as handle:
        catalog = read_po(handle, locale=locale)
    buffer = BytesIO()
    write_mo(buffer, catalog)
    return buffer.getvalue()


def load(locale):
    """The compiled catalogue of one locale: its .mo file when one was built from the current .po, else the .po."""
    path = TRANSLATIONS_DIR / locale / "LC_MESSAGES" / "messages.po"
    compiled = path.with_suffix(".mo")
    # a .mo older than its .po was built before the last edit of the catalogue: never serve stale text
    if compiled.exists() and compiled.stat().st_mtime >= path.stat().st_mtime:
        with open(compiled, "rb") as handle:
            return Translations(fp=handle, domain="messages")
    return Translations(fp=BytesIO(compile_catalogue(locale)), domain="messages")


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
    return accepted(request.accept_languages) or DEFAULT


def accepted(languages):
    """The first of our locales an Accept-Language header names, or None."""
    for tag, _quality in languages:
        chosen = _normal(tag)
        if chosen:
            return chosen
    return None


if __name__ == "__main__":
    # the production install's build step (deploy/install.sh): python -m gateway.web.i18n
    for name in LOCALES:
        target = TRANSLATIONS_DIR / name / "LC_MESSAGES" / "messages.mo"
        target.write_bytes(compile_catalogue(name))
        print(f"compiled {target.relative_to(TRANSLATIONS_DIR.parent)}")
