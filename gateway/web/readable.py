"""People and bases as a person reads them on the console: a cadre's name next to the code, a nomination's
basis in words (the ballot session's date and turnout, the resolution, the campaign), days in the page's
language. Pure functions: the pages hand in what the API answered; whatever is unknown reads as its code."""

from datetime import datetime, timedelta, timezone

from babel.dates import format_date

from services.common.clock import as_utc

BEIJING = timezone(timedelta(hours=8))
# The written form of a day in each page language: "12 May 2026", "2026年5月12日".
DATE_LOCALES = {"zh_CN": "zh_CN", "en": "en_GB"}


def N_(message):
    """Marks a message for extraction; translated when shown."""
    return message


SESSION_CLOSED = N_("ballot session of %(day)s, %(cast)s of %(electorate)s voted")
SESSION_OPEN = N_("ballot session opened %(day)s, %(electorate)s voters, not yet counted")
SESSION_UNKNOWN = N_("ballot session %(session)s")
RESOLUTION = N_("resolution %(reference)s")
CAMPAIGN = N_("public selection campaign %(code)s")
CAMPAIGN_TITLED = N_("public selection campaign %(code)s, %(title)s")


def day(value, locale):
    """The day of an RFC 3339 time in Beijing time, written for ``locale``; "" when it is not a time."""
    if not value:
        return ""
    moment = as_utc(value if isinstance(value, datetime) else str(value))
    if moment is None:
        return ""
    return format_date(moment.astimezone(BEIJING).date(), format="long", locale=DATE_LOCALES.get(locale, "zh_CN"))


def cadre(code, names):
    """The cadre as "张三 (C-0012)" when ``names`` knows the code's name, else the code alone."""
    name = (names or {}).get(code)
    return f"{name} ({code})" if name and name != code else str(code or "")


def names_of(people):
    """{code: name} of the items of an API answer that carry both (nominees, candidates), skipping the rest."""
    found = {}
    for item in people or ():
        code, name = item.get("cadre") or item.get("code"), item.get("name")
        if code and name:
            found[code] = name
    return found


def ballot_session(session_id, sessions, gettext, locale):
    """A ballot session in words from what the record says of it (``sessions``: {id: {electorate, cast,
    status, opened_at, closed_at}}); its id alone when the record was not read or says too little."""
    session = (sessions or {}).get(session_id) or {}
    electorate = session.get("electorate")
    if session.get("status") == "closed":
        when = day(session.get("closed_at") or session.get("opened_at"), locale)
        if when and electorate is not None and session.get("cast") is not None:
            return gettext(SESSION_CLOSED) % {"day": when, "cast": session["cast"], "electorate": electorate}
    elif session:
        when = day(session.get("opened_at"), locale)
        if when and electorate is not None:
            return gettext(SESSION_OPEN) % {"day": when, "electorate": electorate}
    return gettext(SESSION_UNKNOWN) % {"session": session_id}


def basis(basis_, sessions, gettext, locale, campaigns=None):
    """A nomination's basis (``{ballot_session}``, ``{resolution}`` or ``{campaign}``) in words; the
    campaign's title when ``campaigns`` ({code: title}) has it. Anything else reads as its values."""
    basis_ = basis_ or {}
    if basis_.get("ballot_session"):
        return ballot_session(basis_["ballot_session"], sessions, gettext, locale)
    if basis_.get("resolution"):
        return gettext(RESOLUTION) % {"reference": basis_["resolution"]}
    if basis_.get("campaign"):
        code = basis_["campaign"]
        title = (campaigns or {}).get(code)
        if title:
            return gettext(CAMPAIGN_TITLED) % {"code": code, "title": title}
        return gettext(CAMPAIGN) % {"code": code}
    return ", ".join(str(value) for value in basis_.values() if value)
