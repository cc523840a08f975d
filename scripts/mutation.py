"""`make mutation`: mutate the rules, run the unit tests against each mutant, score each package in docs/TESTING.md.

mutmut (configured in pyproject's [tool.mutmut]) copies the tree into mutants/ and runs only the unit tests
that cover each mutated function. A mutant the tests do not kill is a change to a rule that no test notices.
The table in docs/TESTING.md between the two markers is rewritten for the packages run; the rest of the
file (before/after, equivalent mutants) is written by hand.

    python scripts/mutation.py [--package NAME ...] [--max-children N] [--time-limit SECONDS] [--survivors]
"""

import argparse
import datetime
import os
import re
import signal
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
REPORT = ROOT / "docs" / "TESTING.md"
MUTMUT = [sys.executable, "-m", "mutmut"]
BEGIN, END = "<!-- scores: written by scripts/mutation.py -->", "<!-- /scores -->"

# package (as in the table) → mutant-name glob; every package the issue names, one row each
PACKAGES = {
    "services/records/log": "services.records.log.*",
    "gateway/authz.py": "gateway.authz.*",
    "services/common": "services.common.*",
    "services/examination/sealing": "services.examination.sealing.*",
    "services/nomination/domain": "services.nomination.domain.*",
    "services/examination/domain": "services.examination.domain.*",
    "services/supervision/domain": "services.supervision.domain.*",
    "services/records/domain": "services.records.domain.*",
}
KILLED = {"killed", "timeout", "caught by type check", "segfault"}
SURVIVED = {"survived", "no tests", "suspicious"}
# survived counts "no unit test" (mutants in code only the integration tests reach); score: killed / (killed +
# survived); reached: the same over the mutants some unit test runs
COLUMNS = ("package", "killed", "survived", "no unit test", "not checked", "score", "reached", "command", "date")
RESULT = re.compile(r"^\s+(\S+): (.+)$")


def run(package, max_children, time_limit, names=None):
    """Run mutmut over one package (or only ``names`` of it); a run cut off by the time limit leaves the
    rest "not checked"."""
    command = MUTMUT + ["run", "--max-children", str(max_children)] + (names or [PACKAGES[package]])
    # its own process group, so that the time limit stops mutmut's test processes with it
    process = subprocess.Popen(command, cwd=ROOT, start_new_session=True)
    try:
        process.wait(timeout=time_limit)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait()
        print(f"{package}: stopped after {time_limit} s; the rest is counted as not checked", file=sys.stderr)


def statuses():
    """{mutant name: status} of every mutant mutmut knows, from its saved results."""
    out = subprocess.run(
        MUTMUT + ["results", "--all", "true"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout
    return {m.group(1): m.group(2).strip() for m in map(RESULT.match, out.splitlines()) if m}


def score(package, by_name):
    prefix = PACKAGES[package][:-1]
    mine = [status for name, status in by_name.items() if name.startswith(prefix)]
    killed = sum(s in KILLED for s in mine)
    survived = sum(s in SURVIVED for s in mine)
    untested = sum(s == "no tests" for s in mine)
    unchecked = len(mine) - killed - survived
    tested = killed + survived
    return {
        "killed": killed,
        "survived": survived,
        "no unit test": untested,
        "not checked": unchecked,
        "score": f"{100 * killed / tested:.1f} %" if tested else "–",
        "reached": f"{100 * killed / (tested - untested):.1f} %" if tested > untested else "–",
    }


def survivors(package, by_name):
    prefix = PACKAGES[package][:-1]
    return sorted(name for name, status in by_name.items() if name.startswith(prefix) and status in SURVIVED)


def write_report(rows, command):
    """Replace the rows of the packages run in the table, keeping the other packages' last rows."""
    text = REPORT.read_text() if REPORT.exists() else f"# Mutation testing\n\n{BEGIN}\n{END}\n"
    head, _, rest = text.partition(BEGIN)
    old_table, _, tail = rest.partition(END)
    kept = {}
    for line in old_table.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == len(COLUMNS) and cells[0] in PACKAGES:
            kept[cells[0]] = cells
    today = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    for package, result in rows.items():
        kept[package] = [package] + [str(result[c]) for c in COLUMNS[1:-2]] + [f"`{command}`", today]
    lines = ["| " + " | ".join(COLUMNS) + " |", "|" + "---|" * len(COLUMNS)]
    lines += ["| " + " | ".join(kept[p]) + " |" for p in PACKAGES if p in kept]
    REPORT.write_text(head + BEGIN + "\n" + "\n".join(lines) + "\n" + END + tail)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--package",
        action="append",
        choices=sorted(PACKAGES),
        help="a package to run (repeatable; default every package)",
    )
    parser.add_argument(
        "--max-children",
        type=int,
        default=1,
        help="parallel test processes (use 2 only while holding /tmp/cadre-suite.lock)",
    )
    parser.add_argument("--time-limit", type=int, default=1800, help="seconds per package before it is cut off")
    parser.add_argument(
        "--survivors",
        action="store_true",
        help="run again only the mutants that survived last time (after adding tests)",
    )
    args = parser.parse_args(argv)
    packages = args.package or list(PACKAGES)
    for package in packages:
        names = survivors(package, statuses()) if args.survivors else None
        if names != []:
            run(package, args.max_children, args.time_limit, names)
    by_name = statuses()
    rows = {package: score(package, by_name) for package in packages}
    command = (
        "make mutation"
        + (" PACKAGES='" + " ".join(packages) + "'" if args.package else "")
        + (f" MUTATION_TIME_LIMIT={args.time_limit}" if args.time_limit != 1800 else "")
        + (" MUTATION_FLAGS=--survivors" if args.survivors else "")
    )
    write_report(rows, command)
    for package in packages:
        print(package, rows[package])
        for name in survivors(package, by_name):
            print("   survived:", name)
    return 0


if __name__ == "__main__":
    sys.exit(main())
