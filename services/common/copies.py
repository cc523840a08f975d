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

    def attempt(self, key, read, change):
        """One attempt at a version-guarded change of the document ``key``: ``change(doc)`` on the copy, or on
        ``read()`` when there is none. ``change`` decides, makes its one guarded write and returns ``(result,
        the document as written)``, or None when the guard matched nothing; what it wrote is kept.

        Returns ``change``'s result, or None for the caller's next attempt (``retry.until_written``): the
        guard failed, or ``change`` refused (raised) on a copy that is no longer current, since only the
        document as it is may refuse (the read that told is then the copy). A refusal on a current copy is raised,
        after one read to tell."""
        copy = self.get(key)
        doc = copy if copy is not None else read()
        try:
            outcome = change(doc)
        except Exception:
            if copy is None:
                raise
            fresh = read()
            if fresh.version == copy.version:
                raise
            self.keep(key, fresh)  # the next attempt decides on the document as it is, without reading it again
            return None
        if outcome is None:
            self.forget(key)
            return None
        self.keep(key, outcome[1])
        return outcome

    def forget(self, key):
        self._copies.pop(key, None)

    def clear(self):
        self._copies.clear()
