"""Idempotent handling hands the effect and its envelopes to the outbox whole (no database)."""

from services.common import idempotency, outbox


def test_insert_once_inserts_the_document_with_every_envelope(monkeypatch):
    inserted = []
    monkeypatch.setattr(outbox, "insert", lambda doc, *envelopes: inserted.append((doc, envelopes)))
    assert idempotency.insert_once("doc", "event-1", "event-2") is True
    assert inserted == [("doc", ("event-1", "event-2"))]


def test_modify_once_applies_the_updates_with_their_envelopes_once_per_envelope_id(monkeypatch):
    modified = []

    def modify(queryset, updates, envelopes=(), once=None):
        modified.append((queryset, updates, envelopes, once))
        return "changed"

    monkeypatch.setattr(outbox, "modify", modify)
    assert idempotency.modify_once("queryset", "evt-8", {"inc__n": 1}, ["event-1"]) == "changed"
    assert idempotency.modify_once("queryset", "evt-9", {"inc__n": 1}) == "changed"
    assert modified == [
        ("queryset", {"inc__n": 1}, ["event-1"], "evt-8"),
        ("queryset", {"inc__n": 1}, (), "evt-9"),
    ]
