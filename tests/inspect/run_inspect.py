#!/usr/bin/env python3
"""Runs one golden case of mqtt-inspect and compares its standard output and exit status.

usage: run_inspect.py MQTT_INSPECT CASE.in

CASE.in is the input; its header comments (skipped by mqtt-inspect like every '#' line) say how
to run it:
    # args: --protocol 3.1.1 @IN     arguments; @IN is CASE.in's path, @DIR its directory.
                                     Without @IN, CASE.in is fed on standard input.
    # exit: 1                        the expected exit status
    # out: other.out                 optional: compare with other.out instead of CASE.out
CASE.out holds the exact expected standard output (empty for usage errors). Standard error is
not compared. The expected files are written by hand from the contract (inspect-json.md), never
recorded from the tool's output.
"""
import difflib
import os
import shlex
import subprocess
import sys


def header(lines, name, default=None):
    prefix = "# " + name + ":"
    for line in lines:
        if line.startswith(prefix):
            return line[len(prefix):].strip()
    if default is not None:
        return default
    raise SystemExit(f"missing '{prefix}' header line")


def main():
    if len(sys.argv) != 3:
        raise SystemExit(__doc__)
    tool, case_in = sys.argv[1], sys.argv[2]
    case_dir = os.path.dirname(os.path.abspath(case_in))
    with open(case_in, "rb") as f:
        input_bytes = f.read()
    lines = input_bytes.decode("utf-8", "replace").splitlines()
    args = [a.replace("@IN", case_in).replace("@DIR", case_dir) for a in shlex.split(header(lines, "args"))]
    expected_status = int(header(lines, "exit"))
    out_file = os.path.join(case_dir, header(lines, "out", os.path.basename(case_in[: -len(".in")] + ".out")))
    with open(out_file, "rb") as f:
        expected_out = f.read()

    use_stdin = not any("@IN" in a for a in shlex.split(header(lines, "args")))
    run = subprocess.run([tool] + args, input=input_bytes if use_stdin else b"",
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)

    ok = True
    if run.stdout != expected_out:
        ok = False
        print("standard output differs from " + os.path.basename(out_file) + ":")
        diff = difflib.unified_diff(expected_out.decode("utf-8", "replace").splitlines(),
                                    run.stdout.decode("utf-8", "replace").splitlines(),
                                    "expected", "actual", lineterm="")
        for d in diff:
            print(d)
    if run.returncode != expected_status:
        ok = False
        print(f"exit status {run.returncode}, expected {expected_status}")
    if not ok:
        print("command: " + " ".join(shlex.quote(a) for a in [tool] + args))
        if run.stderr:
            print("standard error:\n" + run.stderr.decode("utf-8", "replace"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
