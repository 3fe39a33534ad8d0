#!/usr/bin/python3
"""The project's layering, checked (make check runs it).

1. Directories depend one way, by their #include lines: serve -> tracer,
   filters, reports, compat; tracer -> filters, reports, compat; reports ->
   filters, compat; filters -> compat; compat -> nothing. The command,
   tracer/cli.c, sits on top of all of them (it dispatches to serve/).
2. No two files of tracer/ call each other, directly or round a loop: a
   file's calls are the non-static jt_* functions other files define.
   Transports and dispatch (loop.c, notify.c, syscall.c) call down into
   performers and mechanisms, which never call back up.

Prints each breach and exits 1, or prints one line and exits 0.
"""
import collections
import glob
import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ALLOWED = {
    "compat": {"compat"},
    "filters": {"filters", "compat"},
    "reports": {"reports", "filters", "compat"},
    "tracer": {"tracer", "filters", "reports", "compat"},
    "serve": {"serve", "tracer", "filters", "reports", "compat"},
}
# the command: not part of the library, above every directory
ON_TOP = {"tracer/cli.c"}
DEF = re.compile(r"^(?:[a-z_]+[ *]+)+\**(jt_[a-z0-9_]+)\(", re.M)
INCLUDE = re.compile(r'^#include "([a-z]+)/', re.M)


def strip(text):
    """The text without comments, strings and struct/enum/union type names."""
    text = re.sub(r"/\*.*?\*/", " ", text, flags=re.S)
    text = re.sub(r"//[^\n]*", " ", text)
    text = re.sub(r'"(?:\\.|[^"\\\n])*"', '""', text)
    return re.sub(r"\b(?:struct|enum|union)\s+jt_[a-z0-9_]+", " ", text)


def main():
    problems = []
    for d, allowed in ALLOWED.items():
        for path in sorted(glob.glob(os.path.join(ROOT, d, "*.[ch]"))):
            for m in INCLUDE.finditer(open(path).read()):
                if "%s/%s" % (d, os.path.basename(path)) in ON_TOP:
                    continue
                if m.group(1) in ALLOWED and m.group(1) not in allowed:
                    problems.append("%s/%s includes %s/: %s may depend only on %s" % (
                        d, os.path.basename(path), m.group(1), d, ", ".join(sorted(allowed))))

    files = sorted(glob.glob(os.path.join(ROOT, "tracer", "*.c")))
    text = {os.path.basename(f): strip(open(f).read()) for f in files}
    defined = {}
    for name, t in text.items():
        for m in DEF.finditer(t):
            defined.setdefault(m.group(1), name)
    edges = collections.defaultdict(dict)
    for name, t in text.items():
        used = set(re.findall(r"\bjt_[a-z0-9_]+\b", t))
        for fn in sorted(used):
            where = defined.get(fn)
            if where and where != name:
                edges[name].setdefault(where, fn)

    # strongly connected components (Tarjan), iteratively
    index, low, stack, on, comps, counter = {}, {}, [], set(), [], [0]
    for start in text:
        if start in index:
            continue
        work = [(start, iter(sorted(edges[start])))]
        index[start] = low[start] = counter[0]
        counter[0] += 1
        stack.append(start)
        on.add(start)
        while work:
            v, it = work[-1]
            for w in it:
                if w not in index:
                    index[w] = low[w] = counter[0]
                    counter[0] += 1
                    stack.append(w)
                    on.add(w)
                    work.append((w, iter(sorted(edges[w]))))
                    break
                if w in on:
                    low[v] = min(low[v], index[w])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[v])
                if low[v] == index[v]:
                    comp = []
                    while True:
                        w = stack.pop()
                        on.discard(w)
                        comp.append(w)
                        if w == v:
                            break
                    if len(comp) > 1:
                        comps.append(sorted(comp))
    for comp in comps:
        calls = ["%s -> %s (%s)" % (a, b, edges[a][b])
                 for a in comp for b in sorted(edges[a]) if b in comp]
        problems.append("tracer files call each other in a loop: " + "; ".join(calls))

    for p in problems:
        print("layers: " + p)
    if problems:
        return 1
    print("layers: directories depend one way; no loop among the %d files of tracer/ "
          "(%d calls between them)" % (len(files), sum(len(e) for e in edges.values())))
    return 0


if __name__ == "__main__":
    sys.exit(main())
