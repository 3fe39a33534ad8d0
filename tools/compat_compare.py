#!/usr/bin/env python3
"""Compares two regrtest --junit-xml files test case by test case.

    compat_compare.py NATIVE.xml[,MORE.xml] INSIDE.xml[,MORE.xml] NATIVE_SECS INSIDE_SECS [--known FILE]

Prints how many of the native passes also pass inside (count and %), the
wall-time ratio, and every lost test with its reason as the inside run
reported it (failure/error message, skip reason, or "missing": the module
crashed or timed out before reporting it). A lost test named in the --known
file (docs/compat.md: lines "- `test.id`: why") is marked with that reason.
Exits 0 when the targets hold (>= 99% held, ratio <= 2), else 1.
Host-side tooling: runs with any python3.
"""
import re
import sys
import xml.etree.ElementTree as ET

HELD_TARGET = 99.0
RATIO_TARGET = 2.0


def load(paths):
    """{test id: (outcome, reason)} of comma-separated junit files; outcome is
    pass, fail, error or skip."""
    cases = {}
    for path in paths.split(","):
        try:
            root = ET.parse(path).getroot()
        except (OSError, ET.ParseError) as e:
            print("compat: cannot read %s: %s" % (path, e))
            continue
        load_cases(root, cases)
    return cases


def load_cases(root, cases):
    for tc in root.iter("testcase"):
        name = tc.get("name", "?")
        outcome, reason = "pass", ""
        for kind in ("error", "failure", "skipped"):
            e = tc.find(kind)
            if e is None:
                continue
            outcome = {"error": "error", "failure": "fail", "skipped": "skip"}[kind]
            reason = e.get("message") or e.text or ""
            if kind != "skipped":
                # the last line of an exception is what says why
                lines = [l for l in reason.strip().splitlines() if l.strip()]
                reason = lines[-1].strip() if lines else kind
            break
        # a test case reported twice (a subtest) keeps its worst outcome
        if name in cases and cases[name][0] != "pass":
            continue
        cases[name] = (outcome, " ".join(reason.split())[:300])


def known_reasons(path):
    known = {}
    if not path:
        return known
    try:
        text = open(path, encoding="utf-8").read()
    except OSError:
        return known
    for m in re.finditer(r"^- `([^`]+)`: (.*)$", text, re.M):
        known[m.group(1)] = m.group(2)
    return known


def main(argv):
    known_file = None
    if "--known" in argv:
        i = argv.index("--known")
        known_file = argv[i + 1]
        del argv[i:i + 2]
    if len(argv) != 5:
        print(__doc__.strip())
        return 2
    native, inside = load(argv[1]), load(argv[2])
    n_secs, i_secs = float(argv[3]), float(argv[4])
    known = known_reasons(known_file)

    passes = [t for t, (o, _) in native.items() if o == "pass"]
    lost = [t for t in passes if inside.get(t, ("missing", ""))[0] != "pass"]
    gained = [t for t, (o, _) in inside.items()
              if o == "pass" and native.get(t, ("missing",))[0] != "pass"]
    held = len(passes) - len(lost)
    pct = 100.0 * held / len(passes) if passes else 0.0
    ratio = i_secs / n_secs if n_secs > 0 else float("inf")

    print("compat: %d test cases natively (%d pass), %d inside" % (len(native), len(passes), len(inside)))
    print("compat: native passes held inside: %d of %d (%.2f%%, target >= %.0f%%)"
          % (held, len(passes), pct, HELD_TARGET))
    print("compat: wall time: native %.1fs, inside %.1fs, ratio %.2fx (target <= %.1fx)"
          % (n_secs, i_secs, ratio, RATIO_TARGET))
    if gained:
        print("compat: %d pass inside but not natively" % len(gained))
        for t in sorted(gained):
            print("  + %s (native: %s %s)" % (t, *native.get(t, ("missing", ""))))
    if lost:
        print("compat: lost inside (%d):" % len(lost))
        for t in sorted(lost):
            outcome, reason = inside.get(t, ("missing", "not reported: the module crashed or timed out"))
            line = "  - %s: %s: %s" % (t, outcome, reason)
            if t in known:
                line += "\n      docs/compat.md: %s" % known[t]
            print(line)
    ok = pct >= HELD_TARGET and ratio <= RATIO_TARGET
    print("compat: %s" % ("targets met" if ok else "targets NOT met"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
