"""Public notice of a decision, the public's objections to it, and the outcome for appointment.

A *public notice* (任前公示) shows the appointees' names and posts for ``NOTICE_PERIOD``
seconds after a decision. Anyone may lodge an *objection* while it is open (409
``session_closed`` after: the notice is a period, like a ballot session, that has
closed). ``org`` or ``discipline`` resolves each objection once (``upheld`` or not).

The notice's *outcome* for the nomination service, computed when it closes:

* ``upheld``  — any objection was upheld (wins over pending; an upheld objection is final);
* ``pending`` — an objection is still unresolved: the appointment waits;
* ``clear``   — no pending and none upheld.

While the outcome is ``pending``, each resolution recomputes it; when it changes the
notice's ``notice.closed`` event is sent again with the new outcome and a higher
``revision``, so the consumer keeps the highest revision.
"""

from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta, timezone
from typing import Optional

from services.common.errors import Conflict, Forbidden, Invalid, NotFound
from services.supervision.contract import CONTENT_MAX_CHARS, FINDING_MAX_CHARS, NOTICE_STATUSES

from .base import Event, clean_text, require_aware, selection_subject

DEFAULT_NOTICE_PERIOD_SECONDS = 5 * 24 * 3600
RESOLVERS = ("org", "discipline")

OPEN, CLOSED = NOTICE_STATUSES
# Objection statuses: "pending" until resolved, then "upheld" or "dismissed".
PENDING, UPHELD, DISMISSED = "pending", "upheld", "dismissed"
# Notice outcomes.
OUTCOME_CLEAR, OUTCOME_PENDING, OUTCOME_UPHELD = "clear", "pending", "upheld"

EVENT_NOTICE_OPENED = "notice.opened"
EVENT_NOTICE_CLOSED = "notice.closed"
EVENT_OBJECTION_LODGED = "objection.lodged"
EVENT_OBJECTION_RESOLVED = "objection.resolved"

# The district reads its notices in Beijing time; China has no daylight saving, so a
# fixed offset keeps the text deterministic without a time-zone database.
BEIJING = timezone(timedelta(hours=8), "北京时间")


@dataclass(frozen=True)
class Appointee:
    """A person named in a notice and the post they are to take (post title as shown)."""

    name: str
    post: str


@dataclass(frozen=True)
class Notice:
    """A public notice (任前公示) of one selection's decision."""

    id: str
    selection: str
    title: str
    body: str
    opens_at: datetime
    closes_at: datetime
    status: str = OPEN
    appointees: tuple = ()
    outcome: Optional[str] = None  # set when closed
    revision: int = 0  # how many times the outcome has been sent

    @property
    def subject(self):
        return selection_subject(self.selection)

    def is_open_at(self, now):
        return self.status == OPEN and self.opens_at <= now < self.closes_at

    def as_public_dict(self):
        """The notice as ``GET /notices`` shows it to the public."""
        return {
            "id": self.id,
            "subject": self.subject,
            "title": self.title,
            "body": self.body,
            "opens_at": self.opens_at,
            "closes_at": self.closes_at,
            "status": self.status,
        }


@dataclass(frozen=True)
class Objection:
    """An objection lodged by the public against a notice; it keeps no trace of who sent it."""

    id: str
    notice: str
    content: str
    lodged_at: datetime
    status: str = PENDING
    finding: Optional[str] = None
    resolved_at: Optional[datetime] = None
    resolved_by: Optional[str] = None

    def as_dict(self):
        return {
            "id": self.id,
            "notice": self.notice,
            "content": self.content,
            "lodged_at": self.lodged_at,
            "status": self.status,
            "finding": self.finding,
            "resolved_at": self.resolved_at,
            "resolved_by": self.resolved_by,
        }


@dataclass(frozen=True)
class Resolution:
    """What resolving an objection produced: the objection, its notice, and events to emit."""

    objection: Objection
    notice: Notice
    events: tuple = field(default_factory=tuple)


def _as_appointee(item):
    if isinstance(item, Appointee):
        return item
    return Appointee(name=item["name"], post=item["post"])


def _beijing(moment):
    local = moment.astimezone(BEIJING)
    return f"{local.year}年{local.month}月{local.day}日{local.hour:02d}:{local.minute:02d}"


def _duration(seconds):
    for unit, size in (("天", 86400), ("小时", 3600), ("分钟", 60)):
        if seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}秒"


def notice_text(appointees, opens_at, closes_at):
    """The notice's ``(title, body)``; the same inputs always give the same text.

    Appointees are listed in the order given (the decision's order); times are shown in
    Beijing time to the minute.
    """
    appointees = [_as_appointee(a) for a in appointees]
    posts = list(dict.fromkeys(a.post for a in appointees))
    title = f"任前公示（{'、'.join(posts)}）"
    seconds = int((closes_at - opens_at).total_seconds())
    lines = ["经区委研究决定，拟任用下列同志，现予以公示：", ""]
    lines += [f"{i}. {a.name}，拟任{a.post}" for i, a in enumerate(appointees, 1)]
    lines += [
        "",
        f"公示期：{_beijing(opens_at)}至{_beijing(closes_at)}（北京时间），共{_duration(seconds)}。",
        "公示期间，对公示对象有异议的，可通过本平台提出意见。反映问题应实事求是、具体详实。",
    ]
    return title, "\n".join(lines)


def open_notice(selection, appointees, now, *, period_seconds=DEFAULT_NOTICE_PERIOD_SECONDS, new_id):
    """Open the notice of a decision for ``period_seconds``, named ``new_id()``; returns ``(notice, events)``."""
    require_aware(now)
    appointees = tuple(_as_appointee(a) for a in appointees)
    if not appointees:
        raise ValueError("a notice needs at least one appointee")
    if period_seconds <= 0:
        raise ValueError("period_seconds must be positive")
    closes_at = now + timedelta(seconds=period_seconds)
    title, body = notice_text(appointees, now, closes_at)
    notice = Notice(
        id=new_id(),
        selection=selection,
        title=title,
        body=body,
        opens_at=now,
        closes_at=closes_at,
        appointees=appointees,
    )
    event = Event(
        EVENT_NOTICE_OPENED,
        notice.subject,
        {
            "notice": notice.id,
            "selection": selection,
            "title": title,
            "opens_at": now.isoformat(),
            "closes_at": closes_at.isoformat(),
        },
    )
    return notice, (event,)


def lodge_objection(notice, content, now, *, new_id):
    """Accept an objection, named ``new_id()``, while the notice is open; returns ``(objection, events)``.

    Content is 1..CONTENT_MAX_CHARS characters after trimming (400 ``invalid`` otherwise).
    Before ``opens_at``: 409 ``too_early``; at or after ``closes_at``, or once closed:
    409 ``session_closed``. The event carries ids only, not the content.
    """
    require_aware(now)
    content = clean_text(content, "content", CONTENT_MAX_CHARS)
    if notice.status == OPEN and now < notice.opens_at:
        raise Conflict("the notice period has not begun", "too_early")
    if not notice.is_open_at(now):
        raise Conflict("the notice period is over", "session_closed")
    objection = Objection(id=new_id(), notice=notice.id, content=content, lodged_at=now)
    event = Event(
        EVENT_OBJECTION_LODGED,
        notice.subject,
        {
            "objection": objection.id,
            "notice": notice.id,
            "selection": notice.selection,
        },
    )
    return objection, (event,)


def notice_outcome(objections):
    """``upheld`` if any objection was upheld, else ``pending`` if any is unresolved, else ``clear``."""
    statuses = {o.status for o in objections}
    if UPHELD in statuses:
        return OUTCOME_UPHELD
    if PENDING in statuses:
        return OUTCOME_PENDING
    return OUTCOME_CLEAR


def _closed_event(notice, objections):
    return Event(
        EVENT_NOTICE_CLOSED,
        notice.subject,
        {
            "notice": notice.id,
            "selection": notice.selection,
            "outcome": notice.outcome,
            "revision": notice.revision,
            "pending": sum(1 for o in objections if o.status == PENDING),
            "upheld": sum(1 for o in objections if o.status == UPHELD),
        },
    )


def close_notice(notice, objections, now):
    """Close the notice at the end of its period and compute its outcome; ``(notice, events)``.

    Before ``closes_at``: 409 ``too_early``. Closing a closed notice returns it unchanged
    with no events, so a timer that fires twice does no harm.
    """
    require_aware(now)
    if notice.status == CLOSED:
        return notice, ()
    if now < notice.closes_at:
        raise Conflict("the notice period has not ended", "too_early")
    mine = [o for o in objections if o.notice == notice.id]
    closed = replace(notice, status=CLOSED, outcome=notice_outcome(mine), revision=1)
    return closed, (_closed_event(closed, mine),)


def notices_due_to_close(notices, now):
    """Open notices whose period has ended, earliest first."""
    require_aware(now)
    due = (n for n in notices if n.status == OPEN and now >= n.closes_at)
    return sorted(due, key=lambda n: (n.closes_at, n.id))


def resolve_objection(notice, objections, objection_id, *, upheld, finding, resolved_by, now):
    """Resolve one objection of ``notice`` (``objections`` are all of its objections).

    ``resolved_by`` is the caller's role: ``org`` or ``discipline`` (Forbidden otherwise).
    Resolving twice: 409 ``already_submitted``. When the notice has closed and the outcome
    changes, the notice gets the new outcome and ``notice.closed`` is sent again.
    """
    require_aware(now)
    if resolved_by not in RESOLVERS:
        raise Forbidden("only the organization or discipline department resolves objections")
    if not isinstance(upheld, bool):
        raise Invalid({"upheld": ["Not a valid boolean."]})
    finding = clean_text(finding, "finding", FINDING_MAX_CHARS)
    mine = [o for o in objections if o.notice == notice.id]
    target = next((o for o in mine if o.id == objection_id), None)
    if target is None:
        raise NotFound("no such objection")
    if target.status != PENDING:
        raise Conflict("the objection has already been resolved", "already_submitted")

    resolved = replace(
        target, status=UPHELD if upheld else DISMISSED, finding=finding, resolved_at=now, resolved_by=resolved_by
    )
    after = [resolved if o.id == objection_id else o for o in mine]
    events = [
        Event(
            EVENT_OBJECTION_RESOLVED,
            notice.subject,
            {
                "objection": resolved.id,
                "notice": notice.id,
                "selection": notice.selection,
                "upheld": upheld,
            },
        )
    ]
    if notice.status == CLOSED:
        outcome = notice_outcome(after)
        if outcome != notice.outcome:
            notice = replace(notice, outcome=outcome, revision=notice.revision + 1)
            events.append(_closed_event(notice, after))
    return Resolution(objection=resolved, notice=notice, events=tuple(events))
