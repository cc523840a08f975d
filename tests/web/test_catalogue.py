"""The pages' message catalogue: every message in the templates and page code is translated into Simplified
Chinese, placeholders survive translation, and the locale is chosen as documented."""

import re
from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

from gateway.web import i18n

WEB = Path(__file__).resolve().parents[2] / "gateway" / "web"
METHODS = [("**/templates/**.html", "jinja2.ext:babel_extract"), ("**.py", "python")]
OPTIONS = {"**/templates/**.html": {"extensions": "jinja2.ext.i18n"}}


def extracted():
    found = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
        str(WEB), METHODS, options_map=OPTIONS, keywords={"_": None, "gettext": None, "N_": None}
    ):
        found.add(message if isinstance(message, str) else message[0])
    return found


def catalogue(locale):
    with open(WEB / "translations" / locale / "LC_MESSAGES" / "messages.po", "rb") as handle:
        return {m.id: m.string for m in read_po(handle) if m.id}


def test_every_message_has_a_chinese_translation_and_an_english_entry():
    messages = extracted()
    assert len(messages) > 300
    zh, en = catalogue("zh_CN"), catalogue("en")
    assert sorted(m for m in messages if not zh.get(m)) == []
    assert sorted(m for m in messages if m not in en) == []


def test_placeholders_survive_translation():
    for message, translated in catalogue("zh_CN").items():
        assert sorted(re.findall(r"%\(\w+\)s", message)) == sorted(re.findall(r"%\(\w+\)s", translated)), message


def test_the_compiled_catalogue_translates():
    assert i18n.load("zh_CN").gettext("Notice board") == "公示栏"
    assert i18n.load("en").gettext("Notice board") == "Notice board"


def negotiate(path="/", **headers):
    return i18n.negotiate(Request(EnvironBuilder(path=path, headers=headers).get_environ()))


def test_the_locale_is_chinese_unless_english_is_asked_for():
    assert negotiate() == "zh_CN"
    assert negotiate(**{"Accept-Language": "en-US,en;q=0.9"}) == "en"
    assert negotiate(**{"Accept-Language": "fr-FR,zh-TW;q=0.5"}) == "zh_CN"
    assert negotiate("/?lang=en", **{"Accept-Language": "zh-CN"}) == "en"
    assert negotiate("/?lang=zh_CN", **{"Accept-Language": "en"}) == "zh_CN"
    assert negotiate(**{"Cookie": "cadre_lang=en"}) == "en"
