"""The API's printable dossier and Atom feed (gateway/presentation.py): everything from data escaped."""

import xml.etree.ElementTree as ET

from gateway.presentation import atom_feed, dossier_html


ENTRY = {
    "seq": 0,
    "subject": "selection:S1",
    "stage": "deliberation",
    "occurred_at": "t",
    "place": "<i>Room</i>",
    "responsible": "A & B",
    "matter": "<script>x</script>",
    "result": None,
    "recorder": "org",
    "correlation_id": "c",
    "prev_hash": "0" * 64,
    "leaf_hash": "a" * 64,
    "proof": {"index": 0, "size": 1, "leaf_hash": "a" * 64, "path": []},
}


def test_dossier_html_escapes_everything():
    page = dossier_html(
        {
            "selection": "S<1>",
            "checkpoint": {"size": 1, "root": "r", "timestamp": "t", "key_id": "k", "signature": "s"},
            "entries": [ENTRY],
        }
    )
    assert page.startswith("<!DOCTYPE html>")
    assert "<script>" not in page and "&lt;script&gt;x&lt;/script&gt;" in page
    assert "&lt;i&gt;Room&lt;/i&gt;" in page and "A &amp; B" in page and "S&lt;1&gt;" in page


def test_atom_feed_is_valid_xml_with_escaped_text():
    items = [
        {
            "id": "event:e1",
            "kind": "notice",
            "title": "<b>T</b> & x",
            "summary": None,
            "published_at": "2030-01-01T00:00:00Z",
        }
    ]
    body = atom_feed(
        items, "http://h/api/v1/disclosures.atom?a=1&b=2", "2030-01-02T00:00:00Z", next_url="http://h/x?cursor=a|b"
    )
    root = ET.fromstring(body)
    ns = "{http://www.w3.org/2005/Atom}"
    assert root.tag == f"{ns}feed" and root.findtext(f"{ns}updated") == "2030-01-01T00:00:00Z"
    [entry] = root.findall(f"{ns}entry")
    assert entry.findtext(f"{ns}title") == "<b>T</b> & x"
    assert {l.get("rel") for l in root.findall(f"{ns}link")} == {"self", "next"}
    assert b"<b>T" not in body


def test_empty_atom_feed_uses_now():
    root = ET.fromstring(atom_feed([], "http://h/", "2030-01-02T00:00:00Z"))
    assert root.findtext("{http://www.w3.org/2005/Atom}updated") == "2030-01-02T00:00:00Z"
