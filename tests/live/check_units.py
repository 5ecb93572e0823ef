#!/usr/bin/env python3
"""check_units.py - sizes in text output are human units that equal the exact JSON.

usage: check_units.py HEAPWALK A.core B.core   (two snapshot files, --all, B later)
Runs heapwalk's text and --format json of stats --all, summary, info --all
and diff A B on the snapshots and exits non-zero (with the reason) unless
every size an operator reads in the text is the JSON's exact number in
human units ("3.2 MiB", "+6.5 KiB", "1016 B"): the pkg table of stats --all
with its total, the used/free lines of stats (kept exact beside them), the
site rows of summary, the bytes copied of info and the used lines and site
rows of diff.
"""
import json
import re
import subprocess
import sys

HW, A, B = sys.argv[1:4]


def run(*args):
    return subprocess.run([HW, *args], capture_output=True, text=True, check=False).stdout


def human(v):
    if v < 1024:
        return "%d B" % v
    d, u = float(v), -1
    while d >= 1024 and u < 4:
        d /= 1024
        u += 1
    return "%.1f %s" % (d, ["KiB", "MiB", "GiB", "TiB", "PiB"][u])


def delta(v):
    return ("-" if v < 0 else "+" if v > 0 else "") + human(abs(v))


checked = 0


def same(what, got, want):
    global checked
    assert got == want, "%s: text says %r, JSON %r" % (what, got, want)
    checked += 1


# stats --all: the pkg table and its total; the shm lines keep the exact value beside
text = run("stats", "--core", B, "--all", "--width", "0")
js = json.loads(run("stats", "--core", B, "--all", "--format", "json"))
rows = {int(m.group(1)): m.group(2) for m in re.finditer(r"^ +(\d+) +\S+ .* \d+\.\d\d +(\d.*)$", text, re.M)}
for p in js["processes"]:
    q = [x for x in p["pools"] if x["pool"] == "pkg"][0]
    cols = re.findall(r"\d+(?:\.\d)? (?:[KMGTP]iB|B)|\d+\.\d%|\d+", rows[p["pid"]])
    want = [human(q["heap_size"]), human(q["used"]), human(q["real_used"])]
    same("pid %d pkg heap size, used, used+ovh" % p["pid"], cols[:3], want)
    same("pid %d pkg max used" % p["pid"], cols[4], human(q["max_real_used"]))
    same("pid %d pkg largest free" % p["pid"], cols[7], human(q["fragmentation"]["largest_free"]))
tot = re.search(r"^  total +(.*)$", text, re.M).group(1)
t = js["totals"]["pkg"]
same("total", re.findall(r"\d+(?:\.\d)? (?:[KMGTP]iB|B)", tot)[:3],
     [human(t["heap_size"]), human(t["used"]), human(t["real_used"])])
shm = [x for p in js["processes"] for x in p["pools"] if x["pool"] == "shm"][0]
for label, key in (("used", "used"), ("used+overhead", "real_used"), ("free", "free"),
                   ("max used", "max_real_used")):
    m = re.search(r"^  %s +(\d+)  \(([^,]+), [\d.]+%%\)$" % re.escape(label), text, re.M)
    assert m, "no shm '%s' line" % label
    same("shm " + label, (int(m.group(1)), m.group(2)), (shm[key], human(shm[key])))

# summary: each site's bytes
text = run("summary", "--core", B, "--pool", "pkg", "--top", "10", "--width", "0")
js = json.loads(run("summary", "--core", B, "--pool", "pkg", "--top", "10", "--format", "json"))
sites = [s for p in js["processes"] for q in p["pools"] for s in q["sites"]] if "processes" in js \
    else [s for q in js["pools"] for s in q["sites"]]
rows = re.findall(r"^ +(\d+) +(\S+ (?:[KMGTP]iB|B)) +[\d.]+%  ", text, re.M)
same("summary rows", len(rows), len(sites))
for (count, b), s in zip(rows, sites):
    same("site %s" % s["func"], (int(count), b), (s["count"], human(s["bytes"])))

# info --all: what was copied
text = run("info", "--core", B, "--all")
js = json.loads(run("info", "--core", B, "--all", "--format", "json"))
for p in js["processes"]:
    m = re.search(r"^pid %d.*, (\S+ \S+) copied\)$" % p["pid"], text, re.M)
    assert m, "info: no bytes copied for pid %d" % p["pid"]
    same("info pid %d copied" % p["pid"], m.group(1), human(p["copied_bytes"]))

# diff: used before and after, the change, each changed site
text = run("diff", A, B, "--width", "0")
js = json.loads(run("diff", A, B, "--format", "json"))
grew = 0
for q in js["pools"]:
    i = text.index("%s pool of pid %d" % (q["pool"], q["pid"]))
    m = re.search(r"^  used (.+) -> (.+) \((.+)\), used\+overhead (\S+ \S+),", text[i:], re.M)
    same("diff %s used change" % q["pool"], (m.group(3), m.group(4)),
         (delta(q["d_used"]), delta(q["d_real_used"])))
    for s in q["sites"]:
        m = re.search(r"^ +(\S+ \S+) +([-+]\d+) +(\S+ \S+) +(\d+)  .*%s\(%d\)$" % (re.escape(s["func"]), s["line"]),
                      text[i:], re.M)
        assert m, "diff: no row for %s" % s["func"]
        same("diff site %s" % s["func"], m.groups(),
             (delta(s["d_bytes"]), "%+d" % s["d_count"], human(s["bytes_b"]), str(s["count_b"])))
        grew += s["d_bytes"] > 0
assert grew, "diff: no site grew between the snapshots"
print("%d sizes in text equal the JSON in human units (stats --all, summary, info, diff)" % checked)
