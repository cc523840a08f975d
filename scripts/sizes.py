"""The size rules of docs/DEVELOPING.md, checked by `make lint`: no module over 400 lines outside tests, and
each service's service.py (its entrypoints) under 250."""

import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
MODULE_LINES, ENTRYPOINT_LINES = 400, 250
CHECKED = ("services", "gateway", "scripts", "bench")


def too_long():
    for top in CHECKED:
        for path in sorted((REPO / top).rglob("*.py")):
            lines = len(path.read_text(encoding="utf-8").splitlines())
            limit = ENTRYPOINT_LINES - 1 if path.name == "service.py" else MODULE_LINES
            if lines > limit:
                yield path.relative_to(REPO), lines, limit


def main():
    found = list(too_long())
    for path, lines, limit in found:
        print(f"{path}: {lines} lines (at most {limit})")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
