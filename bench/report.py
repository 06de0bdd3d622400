#!/usr/bin/env python3
"""The markdown table of scripts/bench.sh: medians from Google Benchmark's CSV files beside the
instruction counts of callgrind dumps (bench/instructions.hpp names each dump "<benchmark>|<ops>").

    report.py --csv codec.csv [--csv client.csv] [--callgrind DIR]

Columns: instructions per packet (per match for topic_match), ns per packet, ns per iteration,
packets/s, bytes per packet and MB/s. A benchmark without a count shows "-".
"""

import argparse
import csv
import glob
import os
import re


def medians(path):
    """name -> row of the *_median lines of a Google Benchmark CSV file (context lines skipped)."""
    rows = {}
    with open(path, newline="") as f:
        lines = f.read().splitlines()
    start = next((i for i, l in enumerate(lines) if l.startswith("name,")), None)
    if start is None:
        return rows
    for row in csv.DictReader(lines[start:]):
        name = row["name"].strip('"')
        if name.endswith("_median"):
            rows[name[: -len("_median")]] = row
    return rows


def instruction_counts(directory):
    """name -> instructions per operation, from the callgrind dumps in `directory`."""
    counts = {}
    for path in sorted(glob.glob(os.path.join(directory, "callgrind.out*"))):
        label, total = None, None
        with open(path, errors="replace") as f:
            for line in f:
                m = re.match(r"desc: Trigger: Client Request: (.*)$", line)
                if m:
                    label = m.group(1).strip()
                m = re.match(r"(?:totals|summary): (\d+)", line)
                if m:
                    total = int(m.group(1))
        if label and "|" in label and total is not None:
            name, ops = label.rsplit("|", 1)
            counts[name] = total / int(ops)
    return counts


def fmt_ns(ns):
    return "%.0f" % ns if ns >= 100 else "%.1f" % ns


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--csv", action="append", default=[])
    p.add_argument("--callgrind")
    args = p.parse_args()
    counts = instruction_counts(args.callgrind) if args.callgrind else {}
    print("| Benchmark | instructions/packet | ns/packet | ns/op | packets/s | bytes/packet | MB/s |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    seen = set()
    for path in args.csv:
        for name, row in medians(path).items():
            seen.add(name)
            scale = {"us": 1e3, "ms": 1e6, "s": 1e9}.get(row["time_unit"], 1)
            ns = float(row["cpu_time"]) * scale
            items = float(row.get("items_per_second") or 0)
            nbytes = float(row.get("bytes_per_second") or 0)
            per_item = fmt_ns(1e9 / items) if items > 0 else "-"
            rate = ("%.2f M" % (items / 1e6) if items >= 1e6 else "%.0f k" % (items / 1e3)) if items > 0 else "-"
            size = "%.0f" % (nbytes / items) if items > 0 and nbytes > 0 else "-"
            mbs = "%.0f" % (nbytes / 1e6) if nbytes > 0 else "-"
            instr = "{:,.0f}".format(counts[name]) if name in counts else "-"
            print("| %s | %s | %s | %s | %s | %s | %s |" % (name, instr, per_item, fmt_ns(ns), rate, size, mbs))
    for name in sorted(set(counts) - seen):  # counted, not timed (a filter ran only one of the two)
        print("| %s | %s | - | - | - | - | - |" % (name, "{:,.0f}".format(counts[name])))


if __name__ == "__main__":
    main()
