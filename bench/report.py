#!/usr/bin/env python3
"""Turns criterion results into the tables of docs/benchmarks.md.

Usage: report.py DIR, where DIR holds criterion-floor/ (raw and joseguard) and criterion-PEER/
for each peer binary. Each cell is the median; ratios are to the raw floor measured in the same
binary, so that a peer's ratio never mixes two runs.
"""
import json
import os
import sys

base = sys.argv[1]
runs = {}  # run -> {(group, function): median ns}
for run in sorted(os.listdir(base)):
    if not run.startswith("criterion-"):
        continue
    results = {}
    for dirpath, _, files in os.walk(os.path.join(base, run)):
        if os.path.basename(dirpath) == "new" and "benchmark.json" in files:
            meta = json.load(open(os.path.join(dirpath, "benchmark.json")))
            est = json.load(open(os.path.join(dirpath, "estimates.json")))
            results[(meta["group_id"], meta["function_id"])] = est["median"]["point_estimate"]
    runs[run[len("criterion-"):]] = results

PEERS = ["jsonwebtoken", "jwt-simple", "josekit"]


def fmt(ns):
    if ns >= 1e6:
        return f"{ns / 1e6:.2f} ms"
    if ns >= 1e3:
        return f"{ns / 1e3:.1f} µs"
    return f"{ns:.0f} ns"


def cell(run, group, fn):
    r = runs.get(run, {})
    if (group, fn) not in r or (group, "raw") not in r:
        return "–"
    v = r[(group, fn)]
    return f"{fmt(v)} ({v / r[(group, 'raw')]:.2f}×)"


floor = runs.get("floor", {})
groups = sorted({g for (g, _) in floor}, key=lambda g: (g.split("/")[0], g))
for kind, title in [("jwt", "JWT"), ("jwe", "JWE")]:
    peers = [p for p in PEERS if any(g.startswith(kind) and f == p for (g, f) in runs.get(p, {}))]
    print(f"### {title}\n")
    head = ["row", "raw (floor)", "joseguard"] + peers
    print("| " + " | ".join(head) + " |")
    print("|" + "---|" * len(head))
    for g in groups:
        if not g.startswith(kind):
            continue
        row = [g, fmt(floor[(g, "raw")]), cell("floor", g, "joseguard")]
        row += [cell(p, g, p) for p in peers]
        print("| " + " | ".join(row) + " |")
    print()
    if peers:
        print("joseguard in each peer's binary (same run as that peer's column):\n")
        print("| row | " + " | ".join(f"joseguard ({p} run)" for p in peers) + " |")
        print("|---|" + "---|" * len(peers))
        for g in groups:
            if g.startswith(kind):
                print(f"| {g} | " + " | ".join(cell(p, g, "joseguard") for p in peers) + " |")
        print()
