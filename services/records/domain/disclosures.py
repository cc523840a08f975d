"""Information disclosure (信息公开): which events become public feed items, what they say, and the messages
the channels send. No I/O: callers pass envelopes and policy data in."""

from datetime import timezone

from services.common.errors import Invalid
from services.records.domain.entries import without_personal_data

KINDS = ("policy", "announcement", "notice", "results")
CHANNELS = ("website", "sms", "email")
SMS_MAX_CHARS = 140

MODE_NAMES = {
    "plenary_recommendation": "区委全委会/常委会推荐 plenary recommendation",
    "democratic_recommendation": "基层民主推荐 democratic recommendation",
    "org_recommendation": "组织部综合推荐 organization department recommendation",
    "public_selection": "公开选拔 public selection",
}


def _text(value):
    return value if isinstance(value, str) and value else None


def _announcement(data):
    post = _text(data.get("post")) or "a post"
    vacancies = data.get("vacancies")
    competitive = " competitive (差额, 1:2)" if data.get("competitive") else ""
    mode = MODE_NAMES.get(data.get("mode"), _text(data.get("mode")) or "")
    title = f"选拔公告 Selection announcement: post {post}"
    summary = f"A{competitive} selection for post {post} has opened"
    if isinstance(vacancies, int) and not isinstance(vacancies, bool):
        summary += f" with {vacancies} vacanc{'y' if vacancies == 1 else 'ies'}"
    summary += f"; nomination mode: {mode}." if mode else "."
    details = {k: data.get(k) for k in ("selection", "post", "mode", "competitive", "vacancies") if k in data}
    return title, summary, details


def _notice(data):
    title = _text(data.get("title")) or "公示 Public notice"
    opens, closes = _text(data.get("opens_at")), _text(data.get("closes_at"))
    summary = "Public notice (公示)"
    if opens and closes:
        summary += f" from {opens} to {closes}"
    notice = _text(data.get("notice"))
    if notice:
        summary += f"; objections may be lodged at /api/v1/notices/{notice}/objections"
    details = {k: data.get(k) for k in ("notice", "selection", "opens_at", "closes_at") if k in data}
    return title, summary + ".", details


def _results(data):
    """Names of the selected candidates per post; exam numbers, scores of others and IDs stay out."""
    posts = []
    for post in data.get("posts") or []:
        if not isinstance(post, dict):
            continue
        selected = [
            candidate.get("name")
            for candidate in sorted(
                (c for c in post.get("ranking") or [] if isinstance(c, dict)),
                key=lambda c: c.get("rank") if isinstance(c.get("rank"), int) else 10**9,
            )
            if candidate.get("status") == "selected" and _text(candidate.get("name"))
        ]
        posts.append({"post": _text(post.get("post")), "seats": post.get("seats"), "selected": selected})
    campaign = _text(data.get("campaign")) or "a public selection"
    title = f"公开选拔结果 Results of {campaign}"
    parts = [f"{p['post']}: {', '.join(p['selected']) if p['selected'] else '(none)'}" for p in posts]
    summary = "Selected candidates — " + ("; ".join(parts) if parts else "none") + "."
    return title, summary, {"campaign": campaign, "posts": posts}


BUILDERS = {
    "selection.opened": ("announcement", _announcement),
    "notice.opened": ("notice", _notice),
    "campaign.results_published": ("results", _results),
}


def disclosure_from_event(envelope):
    """The feed item an event makes public (a dict), or None for events that are not disclosed."""
    kind_builder = BUILDERS.get(envelope.get("type"))
    data = envelope.get("data")
    if kind_builder is None or not isinstance(data, dict):
        return None
    kind, builder = kind_builder
    title, summary, details = builder(without_personal_data(data))
    return {
        "key": f"event:{envelope.get('id')}",
        "kind": kind,
        "title": title,
        "summary": summary,
        "subject": _text(envelope.get("subject")),
        "published_at": envelope.get("occurred_at"),
        "details": without_personal_data(details),
    }


def policy_items(policies):
    """Feed items of the normative documents in ``policies.json`` (a list of objects)."""
    items = []
    for policy in policies:
        items.append(
            {
                "key": f"policy:{policy['id']}",
                "kind": "policy",
                "title": policy["title"],
                "summary": policy.get("summary"),
                "subject": None,
                "published_at": policy["published_at"],
                "details": {k: v for k, v in policy.items() if k not in ("id", "title", "summary", "published_at")},
            }
        )
    return items


def channel_message(item, channel, recipients, base_url=""):
    """What a channel sends for one item: ``{id, channel, to, subject, body}``; SMS is cut to one message."""
    link = f"{base_url.rstrip('/')}/api/v1/disclosures" if base_url else "/api/v1/disclosures"
    body = f"{item['title']}\n{item.get('summary') or ''}\n{link}".strip()
    if channel == "sms":
        text = f"{item['title']} {link}"
        body = text if len(text) <= SMS_MAX_CHARS else text[: SMS_MAX_CHARS - 1] + "…"
    return {"id": item["key"], "channel": channel, "to": list(recipients), "subject": item["title"], "body": body}


def retry_delay_seconds(attempts, base=1.0, cap=300.0):
    """Exponential backoff before a failed delivery's next attempt."""
    return min(cap, base * (2 ** max(0, attempts - 1)))


def feed_order(published_at, key):
    """Where an item sits in the feed, as text that sorts like (published_at, key): milliseconds since
    the epoch, zero-padded to fixed width, then the key. Pages are cut on this one string: the embedded
    database compares dates only to the whole second, and reads a date-looking string as a date."""
    millis = round(published_at.replace(tzinfo=published_at.tzinfo or timezone.utc).timestamp() * 1000)
    return f"{millis:015d}|{key}"


def check_feed_cursor(cursor):
    """A feed cursor is a ``feed_order`` this feed gave out; anything else is 400 naming ``cursor``."""
    millis, sep, key = cursor.partition("|")
    if not sep or not key or len(millis) != 15 or not millis.isdigit():
        raise Invalid({"cursor": ["not a cursor this feed gave out"]})
    return cursor
