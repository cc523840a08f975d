"""Facts that never change once they hold, remembered by the process that found them."""


class Remembered:
    """What this process has found of facts that, once true, stay true: a unit exists (no route changes or
    removes one), a vendor's signing key is K, a vendor holds a role in a campaign. Each is asked of the
    database until found, then never again. Only what was found is remembered, since an absence can end
    (the unit is created later); past ``limit`` entries the whole is forgotten, so memory stays bounded.

    Only for facts API.md gives no way to undo: a remembered fact outlives a change made to the database
    behind the services' back, until the process restarts (docs/DEVELOPING.md)."""

    def __init__(self, limit=100_000):
        self.limit = limit
        self._found = {}

    def learn(self, found):
        """Remember ``{key: value}`` (values are never None)."""
        if len(self._found) + len(found) > self.limit:
            self._found.clear()
        self._found.update(found)

    def get(self, key, find):
        """The value of ``key``: remembered, or ``find()`` (None: not found, and not remembered)."""
        if key in self._found:
            return self._found[key]
        value = find()
        if value is not None:
            self.learn({key: value})
        return value

    def among(self, keys, find_all):
        """``{key: value}`` of the ``keys`` found: the remembered ones, and what ``find_all(others)`` returns
        for the others (asked only when there are any)."""
        keys = set(keys)
        unknown = [key for key in keys if key not in self._found]
        if unknown:
            self.learn(find_all(unknown))
        return {key: self._found[key] for key in keys if key in self._found}
