"""The API's answers in forms other than JSON: the printable dossier (HTML), the disclosure feed (Atom 1.0)
and the results' notice-board export (CSV).

Everything that came from data is escaped (the templates' autoescaping, ElementTree), so an entry can never
inject markup.
"""

import csv
import io
from xml.etree import ElementTree as ET

from gateway.web.rendering import printable

ATOM_NS = "http://www.w3.org/2005/Atom"
FEED_ID = "urn:cadre:disclosures"

KIND_TITLES = {
    "policy": "政策 Policy",
    "announcement": "选拔公告 Announcement",
    "notice": "公示 Public notice",
    "results": "结果 Results",
}

RESULTS_COLUMNS = ("post", "seats", "rank", "exam_number", "name", "written", "interview", "total", "status")


def dossier_html(dossier, locale="en"):
    """The dossier ``{selection, checkpoint, entries}`` as one printable page: the console's dossier page's
    record (gateway/web/templates/dossier_record.html) without the console around it."""
    return printable("dossier_print.html", locale, d=dossier)


def atom_feed(items, self_url, updated, next_url=None):
    """The disclosure items (newest first) as an Atom 1.0 document (bytes, UTF-8)."""
    ET.register_namespace("", ATOM_NS)

    def sub(parent, tag, text=None, **attrs):
        element = ET.SubElement(parent, f"{{{ATOM_NS}}}{tag}", attrs)
        if text is not None:
            element.text = str(text)
        return element

    feed = ET.Element(f"{{{ATOM_NS}}}feed")
    sub(feed, "id", FEED_ID)
    sub(feed, "title", "干部工作信息公开 Cadre work information disclosure")
    sub(feed, "updated", items[0]["published_at"] if items else updated)
    author = sub(feed, "author")
    sub(author, "name", "Organization Department")
    sub(feed, "link", rel="self", href=self_url)
    if next_url:
        sub(feed, "link", rel="next", href=next_url)
    for item in items:
        entry = sub(feed, "entry")
        sub(entry, "id", f"urn:cadre:disclosure:{item['id']}")
        sub(entry, "title", item["title"])
        sub(entry, "updated", item["published_at"])
        sub(entry, "published", item["published_at"])
        sub(entry, "category", term=item["kind"], label=KIND_TITLES.get(item["kind"], item["kind"]))
        sub(entry, "summary", item.get("summary") or item["title"], type="text")
    return ET.tostring(feed, encoding="utf-8", xml_declaration=True)


def _number(value):
    return "" if value is None else f"{value:.2f}"


def results_csv(result):
    """The ranking as CSV for the notice board: one row per candidate, posts in campaign order."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(RESULTS_COLUMNS)
    for post in result["posts"]:
        for row in post["ranking"]:
            writer.writerow(
                [
                    post["post"],
                    post["seats"],
                    row["rank"],
                    row["exam_number"],
                    row["name"],
                    _number(row["written"]),
                    _number(row["interview"]),
                    _number(row["total"]),
                    row["status"],
                ]
            )
    return out.getvalue()
