#!/usr/bin/env python3
"""`make bench-runs`: several runs of `make bench` side by side, each target's figure in each run.

A target is met when it holds in every run, not in the best one. This reads the results that
`bench.py` wrote (benchmarks/results/<timestamp>.json, each with its evaluated targets) and prints
one row per target: the figure of each run, marked where it missed, and in how many runs it held.

    runs.py [RESULT.json ...] [--last N] [--markdown]

Without files: the last N (default 5) full-mode runs in benchmarks/results, oldest first.
Exits 0 when every target held in every run shown, 1 when one missed somewhere, 2 without runs.
"""

import argparse
import glob
import json
import os
import sys

RESULTS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "results")


def load(paths):
    """The runs of these result files, oldest first by their timestamp."""
    runs = []
    for path in paths:
        with open(path) as f:
            res = json.load(f)
        res.setdefault("timestamp", os.path.splitext(os.path.basename(path))[0])
        runs.append(res)
    return sorted(runs, key=lambda r: r["timestamp"])


def last_full(directory, n):
    """The paths of the newest n full-mode results in directory (latest.json is a copy: left out)."""
    paths = sorted(p for p in glob.glob(os.path.join(directory, "*.json")) if os.path.basename(p) != "latest.json")
    full = []
    for path in reversed(paths):
        with open(path) as f:
            if json.load(f).get("mode") == "full":
                full.append(path)
        if len(full) == n:
            break
    return list(reversed(full))


def table(runs):
    """Rows of (name, target, [(value_text, ok) or None per run], held, measured) in the order the
    targets first appear."""
    names, by_run = [], []
    for res in runs:
        checks = {c["name"]: c for c in res.get("targets", [])}
        by_run.append(checks)
        names.extend(name for name in checks if name not in names)
    rows = []
    for name in names:
        cells = [checks.get(name) for checks in by_run]
        target = next(c["target"] for c in cells if c)
        shown = [None if c is None or c["ok"] is None else (c["value_text"], c["ok"]) for c in cells]
        measured = [cell for cell in shown if cell]
        rows.append((name, target, shown, sum(ok for _, ok in measured), len(measured)))
    return rows


def cell_text(cell):
    if cell is None:
        return "-"
    text, ok = cell
    return text if ok else f"{text} (miss)"


def render(runs, rows, markdown=False):
    heads = ["target", "wanted"] + [r["timestamp"] for r in runs] + ["held in"]
    body = [[name, target] + [cell_text(c) for c in cells] + [f"{held} of {measured}"]
            for name, target, cells, held, measured in rows]
    if markdown:
        lines = ["| " + " | ".join(heads) + " |", "|" + "---|" * 2 + "---:|" * (len(runs) + 1)]
        lines += ["| " + " | ".join(row) + " |" for row in body]
        return "\n".join(lines)
    widths = [max(len(row[i]) for row in [heads] + body) for i in range(len(heads))]
    return "\n".join("  ".join(v.ljust(w) if i < 2 else v.rjust(w) for i, (v, w) in enumerate(zip(row, widths))).rstrip()
                     for row in [heads] + body)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("files", nargs="*", help="result files (default: the last --last full runs in benchmarks/results)")
    ap.add_argument("--last", type=int, default=5, help="without files: how many of the newest full runs")
    ap.add_argument("--markdown", action="store_true", help="a Markdown table")
    a = ap.parse_args(argv)
    runs = load(a.files or last_full(RESULTS, a.last))
    if not runs:
        print(f"no full-mode results in {RESULTS}: run `make bench` first", file=sys.stderr)
        return 2
    rows = table(runs)
    print(render(runs, rows, a.markdown))
    always = sum(held == measured == len(runs) for _, _, _, held, measured in rows)
    print(f"\n{len(runs)} run(s); {always} of {len(rows)} targets held in every one")
    return 0 if always == len(rows) else 1


if __name__ == "__main__":
    sys.exit(main())
