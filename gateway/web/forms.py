"""Turning form fields into the API's JSON bodies. Values are passed on as typed where they parse and as
given where they do not, so that the API's own validation names the field at fault."""

from datetime import datetime, timedelta, timezone
import re

BEIJING = timezone(timedelta(hours=8))


def number(value):
    value = (value or "").strip()
    for kind in (int, float):
        try:
            return kind(value)
        except ValueError:
            pass
    return value or None


def codes(value):
    """Codes separated by commas, spaces or new lines."""
    return [item for item in re.split(r"[\s,，、]+", value or "") if item]


def lines(value):
    return [line.strip() for line in (value or "").splitlines() if line.strip()]


def moment(value):
    """A datetime-local field (Beijing time, no offset) as RFC 3339; an RFC 3339 value as given."""
    value = (value or "").strip()
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return value
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=BEIJING)
    return parsed.isoformat()


def now_local(offset_seconds=0):
    """The value of a datetime-local field, Beijing time, ``offset_seconds`` from now."""
    return (datetime.now(BEIJING) + timedelta(seconds=offset_seconds)).strftime("%Y-%m-%dT%H:%M:%S")


def checkbox(form, name):
    return form.get(name) in ("on", "true", "1", "yes")


def selection_body(action, form):
    """The JSON body of a selection action (see API.md "Nomination") from its form."""
    get = lambda name: (form.get(name) or "").strip()  # noqa: E731
    if action == "qualification":
        # a condition left blank sets no such condition (API.md): it is left out, not sent empty
        conditions = {"min_rank": get("min_rank"), "min_grassroots_years": number(get("min_grassroots_years"))}
        return {
            "conditions": {name: value for name, value in conditions.items() if value not in ("", None)},
            "scope": codes(get("scope")),
        }
    if action == "consultation":
        return {"source": get("source"), "opinion": get("opinion")}
    if action == "ballot-session":
        return {
            "kind": get("kind"),
            "electorate": number(get("electorate")),
            "seats": number(get("seats")),
            "candidates": codes(get("candidates")),
        }
    if action == "nomination":
        basis_kind = get("basis_kind") or "ballot_session"
        relations = []
        for line in lines(get("relations")):
            person, _, kind = line.rpartition(",") if "," in line else (line, "", "kin")
            relations.append({"person": person.strip(), "kind": kind.strip()})
        return {
            "cadre": get("cadre"),
            "basis": {basis_kind: get("basis")},
            "disclosure": {"personal_matters_reported": checkbox(form, "personal_matters_reported")},
            "relations": relations,
        }
    if action == "deliberation":
        return {
            "meeting": {
                "held_at": moment(get("held_at")),
                "place": get("place"),
                "attendees": number(get("attendees")),
                "present": number(get("present")),
            },
            "nominees": codes(get("nominees")),
        }
    if action == "inspection":
        reports = []
        for line in lines(get("reports")):
            parts = [part.strip() for part in line.split(",", 2)]
            while len(parts) < 3:
                parts.append("")
            reports.append({"cadre": parts[0], "rating": number(parts[1]), "summary": parts[2]})
        return {"reports": reports}
    if action == "decision":
        return {
            "meeting": {
                "held_at": moment(get("held_at")),
                "agenda_filed_at": moment(get("agenda_filed_at")),
                "place": get("place"),
                "members": number(get("members")),
                "present": number(get("present")),
            },
            "appointees": codes(get("appointees")),
        }
    if action == "filing":
        return {"filed_with": get("filed_with"), "reference": get("reference")}
    if action == "pre-report":
        return {"summary": get("summary")} if get("summary") else {}
    return {}
