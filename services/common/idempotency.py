"""Idempotent event handling: the envelope id is recorded in the same write as the effect.

Two shapes cover every handler:

- an effect that creates documents stores the envelope id in a uniquely indexed field of each
  (``insert_once``); a redelivery hits the unique index and changes nothing;
- an effect that changes a document goes through ``outbox.modify(..., once=envelope_id)``, which
  adds the id to the document's ``handled`` list in the same atomic update and matches only
  documents that do not list it yet.
"""

from mongoengine import NotUniqueError

from services.common import outbox


def insert_once(doc, *envelopes):
    """Insert ``doc`` (whose unique key includes the envelope id); False if it was already there."""
    try:
        outbox.insert(doc, *envelopes)
    except Exception as exc:  # outbox.insert turns NotUniqueError into Conflict("exists")
        if getattr(exc, "code", None) == "exists" or isinstance(exc, NotUniqueError):
            return False
        raise
    return True


def modify_once(queryset, envelope_id, updates, envelopes=()):
    """Apply ``updates`` unless this envelope was applied already; returns the document or None."""
    return outbox.modify(queryset, updates, envelopes, once=envelope_id)
