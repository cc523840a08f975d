"""Audit a hash-locked requirements file for known vulnerabilities (pip-audit); exit 1 on any found.

    python scripts/audit.py requirements/runtime.txt

A package the advisory service knows nothing about is listed as not audited rather than passed in silence:
the registry mirror some machines reach serves no advisory data, and then this says so on one line.
"""

import json
import subprocess
import sys
from pathlib import Path


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 1:
        print("usage: python scripts/audit.py REQUIREMENTS_FILE", file=sys.stderr)
        return 2
    audit = Path(sys.executable).with_name("pip-audit")
    done = subprocess.run(
        [str(audit), "-r", argv[0], "--require-hashes", "--disable-pip", "--progress-spinner", "off", "-f", "json"],
        capture_output=True,
        text=True,
        timeout=600,
    )
    try:
        report = json.loads(done.stdout)
    except ValueError:
        # no answer from the advisory service (offline, or refused): nothing was audited, and that is said
        print(
            f"audit: not audited, pip-audit gave no report (exit {done.returncode}): "
            f"{done.stderr.strip().splitlines()[-1:] or ''}"
        )
        return 0
    packages = report.get("dependencies", [])
    vulnerable = [p for p in packages if p.get("vulns")]
    unaudited = [p for p in packages if p.get("skip_reason")]
    for package in vulnerable:
        ids = ", ".join(v.get("id", "?") for v in package["vulns"])
        print(f"audit: {package['name']} {package['version']}: {ids}")
    print(
        f"audit: {len(packages) - len(unaudited)} of {len(packages)} packages audited, "
        f"{len(vulnerable)} with known vulnerabilities"
        + (f"; {len(unaudited)} unknown to the advisory service" if unaudited else "")
    )
    return 1 if vulnerable else 0


if __name__ == "__main__":
    sys.exit(main())
