"""Printable and syndicated forms of the record: the dossier as HTML and the disclosure feed as Atom 1.0.

Everything that came from data is escaped (``html.escape`` / ElementTree), so an entry can never inject markup.
"""
import json
from html import escape
from xml.etree import ElementTree as ET

ATOM_NS = "http://www.w3.org/2005/Atom"
FEED_ID = "urn:cadre:disclosures"

KIND_TITLES = {
    "policy": "政策 Policy",
    "announcement": "选拔公告 Announcement",
    "notice": "公示 Public notice",
    "results": "结果 Results",
}

ENTRY_COLUMNS = ("seq", "stage", "occurred_at", "place", "responsible", "matter", "result", "recorder",
                 "correlation_id")

_STYLE = """
body { font-family: serif; margin: 2em; }
h1 { font-size: 1.4em; } h2 { font-size: 1.1em; margin-top: 1.5em; }
table { border-collapse: collapse; width: 100%; font-size: 0.85em; }
th, td { border: 1px solid #444; padding: 4px; vertical-align: top; text-align: left; }
code, .hash { font-family: monospace; font-size: 0.8em; word-break: break-all; }
.sign { margin-top: 3em; } .sign span { display: inline-block; width: 18em; border-top: 1px solid #000; margin-right: 3em; }
@media print { body { margin: 1cm; } tr { page-break-inside: avoid; } }
"""


def _cell(value):
    return "<td>" + ("" if value is None else escape(str(value))) + "</td>"


def dossier_html(dossier):
    """The dossier ``{selection, checkpoint, entries}`` as one self-contained printable page."""
    selection = escape(str(dossier.get("selection")))
    checkpoint = dossier.get("checkpoint") or {}
    rows = []
    for entry in dossier.get("entries") or []:
        proof = entry.get("proof") or {}
        rows.append(
            "<tr>" + "".join(_cell(entry.get(name)) for name in ENTRY_COLUMNS)
            + f"<td class=\"hash\">{escape(str(entry.get('leaf_hash')))}<br>prev {escape(str(entry.get('prev_hash')))}"
            + f"<br>proof: {escape(json.dumps(proof.get('path') or []))}</td></tr>"
        )
    head = "".join(f"<th>{escape(name)}</th>" for name in ENTRY_COLUMNS) + "<th>hashes and inclusion proof</th>"
    cp = "".join(
        f"<tr><th>{escape(name)}</th><td class=\"hash\">{escape(str(checkpoint.get(name)))}</td></tr>"
        for name in ("size", "root", "timestamp", "key_id", "signature")
    )
    return (
        "<!DOCTYPE html>\n<html lang=\"zh-CN\"><head><meta charset=\"utf-8\">"
        f"<title>干部选拔任用全程记实 Dossier of selection {selection}</title><style>{_STYLE}</style></head><body>"
        f"<h1>干部选拔任用全程记实 — Full-process record of selection {selection}</h1>"
        f"<p>{len(dossier.get('entries') or [])} entries, each with its RFC 6962 inclusion proof against the signed "
        "checkpoint below. Anyone can recompute every leaf hash from the fields shown.</p>"
        f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"
        f"<h2>Signed checkpoint (Ed25519)</h2><table>{cp}</table>"
        "<div class=\"sign\"><span>记录人 Recorder</span><span>归档人 Archivist</span><span>日期 Date</span></div>"
        "</body></html>"
    )


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
