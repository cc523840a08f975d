"""Small value checks shared by the nomination rules; field errors are gathered into one Invalid."""

from __future__ import annotations

import math
import re

from services.common.errors import Invalid

CODE_PATTERN = re.compile(r"[A-Za-z0-9_-]{1,64}")


def is_int(value) -> bool:
    # bool is an int subclass; True must not pass as a headcount of 1
    return isinstance(value, int) and not isinstance(value, bool)


def is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def is_text(value) -> bool:
    return isinstance(value, str) and value.strip() != ""


def is_code(value) -> bool:
    return isinstance(value, str) and CODE_PATTERN.fullmatch(value) is not None


class FieldErrors:
    """Collects messages per field so that one 400 names every bad field at once."""

    def __init__(self):
        self.errors: dict[str, list[str]] = {}

    def add(self, field: str, message: str) -> None:
        self.errors.setdefault(field, []).append(message)

    def absorb(self, exc: Invalid) -> None:
        """Fold another Invalid's field errors into these."""
        for field, messages in (exc.errors or {}).items():
            for message in messages:
                self.add(field, message)

    def __bool__(self) -> bool:
        return bool(self.errors)

    def raise_if_any(self) -> None:
        if self.errors:
            raise Invalid(dict(self.errors))
