#!/usr/bin/env python3
"""check_instance.py - an instance report page against `stats --all --format json` of the same moment.

usage: check_instance.py REPORT.html STATS.json
Exits non-zero (with the reason) unless the per-process pkg table (pid,
rank, description, heap size, used, used+overhead, free, max used,
fragments, walk state), its totals row and the shm section equal the JSON.
"""
import html
import json
import re
import sys

page = open(sys.argv[1], encoding="utf-8").read()
stats = json.load(open(sys.argv[2]))

KEYS = {"size": "heap_size", "used": "used", "real_used": "real_used", "free": "free",
        "max_real_used": "max_real_used"}


def cells(row):
    return {k: v for k, v in re.findall(r'data-k="(\w+)" data-v="([-\d.]+)"', row)}


table = re.search(r'<table class="sort procs">(.*?)</table>', page, re.S)
assert table, "no per-process table"
rows = re.findall(r'<tr class="proc" data-pid="(\d+)" data-rank="(-?\d+)">(.*?)</tr>', table.group(1),
                  re.S)
procs = stats["processes"]
assert [int(r[0]) for r in rows] == [p["pid"] for p in procs], ([r[0] for r in rows],
                                                                [p["pid"] for p in procs])
for (pid, rank, body), p in zip(rows, procs):
    want_rank = p["rank"] if p["rank"] is not None else -1
    assert int(rank) == want_rank, (pid, rank, p["rank"])
    desc = re.search(r'<td data-k="desc">(.*?)</td>', body).group(1)
    if p["desc"]:
        assert html.unescape(desc) == p["desc"], (pid, desc, p["desc"])
    pkg = [q for q in p.get("pools", []) if q["pool"] == "pkg"]
    c = cells(body)
    walk = re.search(r'<td data-k="walk">(.*?)</td>', body, re.S).group(1)
    if not pkg or not pkg[0]["walked"]:
        assert "size" not in c, (pid, "a pool not walked has figures")
        continue
    q = pkg[0]
    for k, j in KEYS.items():
        assert int(c[k]) == q[j], (pid, k, c[k], q[j])
    assert int(c["frags"]) == q["frags"]["total"], (pid, "frags", c["frags"], q["frags"])
    walk = re.sub(r"<[^>]*>", "", walk)
    assert walk.startswith("complete") == q["walk_complete"], (pid, walk)
    assert (q["findings_total"] == 0) == ("findings" not in walk), (pid, walk, q["findings_total"])

foot = re.search(r'<tfoot>(.*?)</tfoot>', table.group(1), re.S)
assert foot, "no totals row"
tot, want = cells(foot.group(1)), stats["totals"]["pkg"]
for k, j in KEYS.items():
    assert int(tot[k]) == want[j], ("total", k, tot[k], want[j])
assert int(tot["frags"]) == want["frags"], ("total frags", tot["frags"], want["frags"])
assert re.search(r'all %d pkg pools' % want["pools"], foot.group(1)), ("pool count", want["pools"])

# shm once, with the first process's numbers
shm = [q for p in procs for q in p.get("pools", []) if q["pool"] == "shm"]
sections = re.findall(r'<section class="pool" id="pool-(\w+)">(.*?)</section>', page, re.S)
if shm:
    assert len(shm) == 1, "shm listed by %d processes" % len(shm)
    assert [s[0] for s in sections] == ["shm"], [s[0] for s in sections]
    body, st = sections[0][1], shm[0]
    tot = dict(re.findall(r'<tr><th>([a-z +]+)</th><td class="n" data-v="(\d+)"', body))
    for k, j in {"heap size": "heap_size", "used": "used", "used+overhead": "real_used",
                 "free": "free", "max used": "max_real_used"}.items():
        assert int(tot[k]) == st[j], ("shm", k, tot.get(k), st[j])
    assert "Heap map" in body and "<svg" in body, "shm section without a map"

# every walked pkg in detail, once
details = re.findall(r'<details class="proc" id="pkg-(\d+)">', page)
walked = [p["pid"] for p in procs if any(q["pool"] == "pkg" and q["walked"] for q in p.get("pools", []))]
assert [int(d) for d in details] == walked, (details, walked)
print("instance page agrees with stats --all: %d processes, pkg total used %d, shm %s" % (
    len(rows), want["used"], "used %d" % shm[0]["used"] if shm else "not shown"))
