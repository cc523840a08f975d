"""Which selection an entry belongs to, and the cursors and bounds of the log's read endpoints (no I/O)."""

from services.common.errors import Invalid, NotFound

SELECTION_PREFIX = "selection:"


def selection_subject(subject, data=None):
    """``selection:<id>`` of the selection an entry is about: its own subject, or the selection its event names."""
    if isinstance(subject, str) and subject.startswith(SELECTION_PREFIX) and len(subject) > len(SELECTION_PREFIX):
        return subject
    selection = (data or {}).get("selection") if isinstance(data, dict) else None
    if isinstance(selection, str) and selection:
        return SELECTION_PREFIX + selection
    return None


def subject_filter(subject):
    """The stored-field filter of ``?subject=``: a selection takes every entry about it, anything else its own."""
    if not subject:
        return {}
    if subject.startswith(SELECTION_PREFIX):
        return {"about": subject}
    return {"subject": subject}


def parse_seq_cursor(cursor):
    """A listing cursor is the next ``seq`` as a decimal string."""
    if cursor is None:
        return 0
    if not (isinstance(cursor, str) and cursor.isdigit() and len(cursor) <= 15):
        raise Invalid({"cursor": ["not a cursor this listing gave out"]})
    return int(cursor)


def check_proof_bounds(seq, size, log_size):
    """400 naming ``size`` beyond the log or ``seq`` outside the first ``size`` entries; 404 for a seq never written."""
    if size > log_size:
        raise Invalid({"size": [f"the log has {log_size} entries; size must be at most that"]})
    if seq >= log_size:
        raise NotFound(f"no entry with seq {seq}")
    if seq >= size:
        raise Invalid({"seq": [f"seq {seq} is not within the first {size} entries; ask with a larger size"]})


def check_consistency_bounds(first, second, log_size):
    if second > log_size:
        raise Invalid({"to": [f"the log has {log_size} entries; to must be at most that"]})
    if first > second:
        raise Invalid({"from": ["from must not be greater than to"]})
