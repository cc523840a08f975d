"""Gather bench/results/*.md into bench/RESULTS.md (each benchmark writes its own file)."""

from pathlib import Path

HERE = Path(__file__).resolve().parent
ORDER = ["gateway", "nomination", "examination", "supervision", "records", "load", "embedded_db", "cost"]


def main():
    files = sorted(
        (HERE / "results").glob("*.md"), key=lambda p: (ORDER.index(p.stem) if p.stem in ORDER else 99, p.stem)
    )
    parts = [
        "# Benchmark results\n",
        "Each section is written by the benchmark named in its command, on this project's 2-core machine.",
        "Speed figures stand next to a bare nameko HTTP→RPC echo measured in the same run where the",
        "benchmark drives the gateway (`bench/harness.py`); machine load from other work moves absolute",
        "figures a lot, ratios less. Regenerate this page with `.venv/bin/python bench/collect_results.py`.\n",
    ]
    for path in files:
        text = path.read_text().strip()
        if not text.startswith("#"):
            text = f"## {path.stem}\n\n{text}"
        parts.append(text.replace("\n# ", "\n## ").replace("# ", "## ", 1) if text.startswith("# ") else text)
        parts.append("")
    (HERE / "RESULTS.md").write_text("\n".join(parts) + "\n")


if __name__ == "__main__":
    main()
