#!/usr/bin/env python3
"""Counts the specification statements that the unit tests name.

A test case names a statement by its version prefix and id: "v5 [MQTT-3.3.1-4] ..." or
"v3.1.1 [MQTT-3.3.1-4] ...". Every statement that binds the codec or a client (actors `codec`,
`client`, `both/any-sender`, `receiver`) must be named by at least one test case of its version,
unless tests/client_not_applicable.tsv lists it with the reason it cannot apply here (WebSocket,
for instance); the script fails otherwise. It prints how many statements of each actor are named,
which is how conformance is counted.

usage: conformance.py <unit-tests binary>
"""
import collections
import os
import re
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
SPECS = {"v5": "mqtt-5.0-statements.tsv", "v3.1.1": "mqtt-3.1.1-statements.tsv"}
ID = re.compile(r"\[(MQTT-[0-9.]+-[0-9]+)\]")


def statements(version):
    rows = {}
    with open(os.path.join(HERE, "spec", SPECS[version]), encoding="utf-8") as f:
        next(f)
        for line in f:
            cols = line.rstrip("\n").split("\t")
            rows[cols[0]] = cols[2]
    return rows


REQUIRED_ACTORS = ("codec", "client", "both/any-sender", "receiver")


def not_applicable():
    rows = collections.defaultdict(dict)
    path = os.path.join(HERE, "client_not_applicable.tsv")
    if not os.path.exists(path):
        return rows
    with open(path, encoding="utf-8") as f:
        next(f)
        for line in f:
            if not line.strip():
                continue
            version, ident, reason = line.rstrip("\n").split("\t")
            rows[version][ident] = reason
    return rows


def named(binary):
    out = subprocess.run([binary, "--list-test-cases", "--no-intro"], check=True, capture_output=True, text=True).stdout
    ids = collections.defaultdict(set)
    for line in out.splitlines():
        for version in SPECS:
            if line.startswith(version + " "):
                ids[version].update(ID.findall(line))
    return ids


def main():
    if len(sys.argv) != 2:
        print(__doc__)
        return 2
    ids = named(sys.argv[1])
    exempt = not_applicable()
    failed = False
    summary = []
    for version in SPECS:
        rows = statements(version)
        unknown = sorted(ids[version] - rows.keys())
        if unknown:
            print(f"{version}: test names cite ids that do not exist: {', '.join(unknown)}")
            failed = True
        per_actor = collections.Counter(rows.values())
        named_per_actor = collections.Counter(rows[i] for i in ids[version] if i in rows)
        print(f"{version}: " + ", ".join(f"{actor} {named_per_actor[actor]}/{n}" for actor, n in sorted(per_actor.items())))
        bad_exempt = sorted(set(exempt[version]) - rows.keys())
        if bad_exempt:
            print(f"{version}: client_not_applicable.tsv lists ids that do not exist: {', '.join(bad_exempt)}")
            failed = True
        missing = sorted(i for i, actor in rows.items()
                         if actor in REQUIRED_ACTORS and i not in ids[version] and i not in exempt[version])
        if missing:
            print(f"{version}: statements without a test: {', '.join(missing)}")
            failed = True
        client_side = [i for i, actor in rows.items() if actor in REQUIRED_ACTORS and actor != "codec"]
        client_named = sum(1 for i in client_side if i in ids[version])
        client_exempt = sum(1 for i in client_side if i in exempt[version] and i not in ids[version])
        summary.append(f"{version} codec {named_per_actor['codec']}/{per_actor['codec']}, "
                       f"client-side {client_named}/{len(client_side)} (+{client_exempt} not applicable)")
    print("statements named: " + ", ".join(summary))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
