"""Copies of documents as this process last wrote them, for a write that checks them (a version guard)."""


class LastWritten:
    """What this process last wrote of documents that do change (a selection, a ballot tracker set): a guess,
    which the write made from it checks under the document's ``version``. A stale copy (another replica or
    request wrote since) fails that guard, is forgotten, and the next attempt reads the document: it costs a
    write and a read, never a lost change. So a call on a document this process wrote last needs no read.

    Never for answering a read: only a guarded write may act on a copy. Past ``limit`` copies the whole is
    forgotten, so memory stays bounded."""

    def __init__(self, limit=1024):
        self.limit = limit
        self._copies = {}

    def get(self, key):
        """The copy of ``key``, or None."""
        return self._copies.get(key)

    def keep(self, key, copy):
        if len(self._copies) >= self.limit and key not in self._copies:
            self._copies.clear()
        self._copies[key] = copy

    def forget(self, key):
        self._copies.pop(key, None)

    def clear(self):
        self._copies.clear()
