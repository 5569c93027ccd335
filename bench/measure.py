#!/usr/bin/env python3
"""Runs the benchmark's commands interleaved and prints the table (bench/run drives it).

Input (stdin, JSON): {"repeats": N, "groups": [{"tree": NAME, "filter": SPEC, "functions": N,
"runs": [{"tool": NAME, "java": VERSION, "argv": [...], "env": {...}}]}]}.

Each repeat runs every command of every group once, the order rotated from one repeat to the
next, so that the probe and its references share the machine's noise. Wall time is measured
around fork and wait; CPU time (user + sys) comes from wait4(), which counts the process and
every child it waited for (the launcher's shell tools, lspci under ruby); peak RSS from GNU time
(%M), the largest of the process and its children. Every command runs under /usr/bin/time, so
each wall time holds the same extra fork and exec of it (about a millisecond).
"""
import json
import os
import statistics
import subprocess
import sys
import time
import zlib


RSS_FILE = "/tmp/bench-rss.%d" % os.getpid()


def run_once(argv, env):
    full_env = dict(os.environ)
    full_env.update(env)
    # Peak RSS through GNU time: a child forked from this Python would count Python's own pages
    # (Linux keeps the high-water mark of the memory a process had before exec).
    argv = ["/usr/bin/time", "-f", "%M", "-o", RSS_FILE] + argv
    t0 = time.perf_counter()
    p = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, env=full_env)
    out = p.stdout.read()
    err = p.stderr.read()
    _, status, ru = os.wait4(p.pid, 0)
    wall = (time.perf_counter() - t0) * 1000.0
    p.returncode = os.waitstatus_to_exitcode(status)
    cpu = (ru.ru_utime + ru.ru_stime) * 1000.0
    with open(RSS_FILE) as f:
        rss_kb = int(f.read().split()[-1])
    return {"wall": wall, "cpu": cpu, "rss": rss_kb / 1024.0, "out": out,
            "err": err, "status": p.returncode}


def pct(values, q):
    s = sorted(values)
    if len(s) == 1:
        return s[0]
    k = (len(s) - 1) * q
    lo = int(k)
    hi = min(lo + 1, len(s) - 1)
    return s[lo] + (s[hi] - s[lo]) * (k - lo)


def main():
    spec = json.load(sys.stdin)
    repeats = spec["repeats"]
    samples = {}
    outputs = {}
    for g in spec["groups"]:
        for r in g["runs"]:
            first = run_once(r["argv"], r.get("env", {}))  # warm-up, not counted
            if first["status"] != 0:
                sys.stderr.write("bench: %s on %s failed (exit %d): %s\n" % (
                    r["tool"], g["tree"], first["status"], first["err"].decode(errors="replace")))
                sys.exit(1)
            samples[(g["tree"], g["filter"], r["tool"])] = []
    for i in range(repeats):
        for g in spec["groups"]:
            runs = g["runs"]
            k = i % len(runs)
            for r in runs[k:] + runs[:k]:
                s = run_once(r["argv"], r.get("env", {}))
                if s["status"] != 0:
                    sys.stderr.write("bench: %s on %s %s failed (exit %d): %s\n" % (
                        r["tool"], g["tree"], g["filter"], s["status"], s["err"].decode(errors="replace")))
                    sys.exit(1)
                samples[(g["tree"], g["filter"], r["tool"])].append(s)
                outputs[(g["tree"], g["filter"], r["tool"])] = s["out"]
        sys.stderr.write("bench: repeat %d/%d done\n" % (i + 1, repeats))

    rows = []
    print("| tree | functions | filter | tool | java | wall ms median | wall ms p10-p90 | CPU ms median | peak RSS MB | output bytes | zlib bytes |")
    print("| --- | ---: | --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for g in spec["groups"]:
        for r in g["runs"]:
            key = (g["tree"], g["filter"], r["tool"])
            ss = samples[key]
            walls = [s["wall"] for s in ss]
            out = outputs[key]
            row = {
                "tree": g["tree"], "filter": g["filter"], "functions": g["functions"], "tool": r["tool"],
                "java": r.get("java", "-"),
                "wall": statistics.median(walls), "p10": pct(walls, 0.1), "p90": pct(walls, 0.9),
                "cpu": statistics.median([s["cpu"] for s in ss]),
                "rss": max(s["rss"] for s in ss),
                "bytes": len(out), "zlib": len(zlib.compress(out, 6)),
            }
            rows.append(row)
            print("| %s | %d | `%s` | %s | %s | %.1f | %.1f-%.1f | %.1f | %.1f | %d | %d |" % (
                row["tree"], row["functions"], row["filter"], row["tool"], row["java"], row["wall"], row["p10"], row["p90"],
                row["cpu"], row["rss"], row["bytes"], row["zlib"]))
    json.dump(rows, open(spec["results"], "w"), indent=1)
    print()
    for line in targets(rows):
        print(line)


def targets(rows):
    """The issues' targets, each with the numbers it was judged on."""
    by = {(r["tree"], r["filter"], r["tool"]): r for r in rows}
    out = []

    def verdict(ok):
        return "MET   " if ok else "MISSED"

    # issue 16: at most 0.8x the stock probe's wall time and at most its CPU, every filter
    for r in rows:
        if r["tool"] != "probe":
            continue
        st = by.get((r["tree"], r["filter"], "stock"))
        if st:
            x = r["wall"] / st["wall"]
            cpu_ok = r["cpu"] <= st["cpu"]
            out.append("%s %s %s: probe %.1f ms / stock pci.rb %.1f ms = %.2fx (target <= 0.80x); CPU %.1f vs %.1f ms%s" % (
                verdict(x <= 0.8 and cpu_ok), r["tree"], r["filter"], r["wall"], st["wall"], x, r["cpu"], st["cpu"],
                "" if cpu_ok else " (more CPU than the stock probe)"))
    probes = [r for r in rows if r["tool"] == "probe"]
    if probes:
        worst = max(probes, key=lambda r: r["rss"])
        out.append("%s peak RSS of the probe: %.1f MB at most (%s %s; target <= 64 MB)" % (
            verdict(worst["rss"] <= 64.0), worst["rss"], worst["tree"], worst["filter"]))
    # issue 7, with every function reported
    for tree, budget in (("host-100", 15.0), ("host-1000", 60.0)):
        p, f = by.get((tree, "*:*", "probe")), by.get((tree, "*:*", "floor"))
        if p and f:
            d = p["wall"] - f["wall"]
            out.append("%s %s *:*: probe %.1f ms - floor %.1f ms = %+.1f ms (issue 7 target <= +%.0f ms)" % (
                verdict(d <= budget), tree, p["wall"], f["wall"], d, budget))
    p, l = by.get(("host-1000", "*:*", "probe")), by.get(("host-1000", "*:*", "lspci"))
    if p and l:
        x = p["wall"] / l["wall"]
        out.append("%s host-1000 *:*: probe %.1f ms / lspci %.1f ms = %.2fx (issue 7 target <= 2.5x)" % (
            verdict(x <= 2.5), p["wall"], l["wall"], x))
    for r in probes:
        if r["filter"] == "*:*" and r["zlib"] > 48 * 1024:
            out.append("       %s *:*: %d zlib bytes, over the 48 KiB warning line" % (r["tree"], r["zlib"]))
    return out


if __name__ == "__main__":
    main()
