#!/usr/bin/env python3
"""check_report.py - a heapwalk HTML report against stats/summary JSON of the same core.

usage: check_report.py REPORT.html STATS.json SUMMARY.json
Exits non-zero (with the reason) unless every walked pool's totals and top
sites in the page equal the JSON numbers.
"""
import html
import json
import re
import sys

page = open(sys.argv[1], encoding="utf-8").read()
stats = json.load(open(sys.argv[2]))
summ = json.load(open(sys.argv[3]))

# the page shows shm first (check_verdict.py holds it to that); the JSON in its pool order
sections = re.findall(r'<section class="pool" id="pool-(\w+)">(.*?)</section>', page, re.S)
order = {p["pool"]: k for k, p in enumerate(stats["pools"])}
assert sorted(s[0] for s in sections) == sorted(order), [s[0] for s in sections]
sections.sort(key=lambda s: order[s[0]])
for (name, body), st, su in zip(sections, stats["pools"], summ["pools"]):
    tot = dict(re.findall(r'<tr><th>([a-z +]+)</th><td class="n" data-v="(\d+)"', body))
    want = {"heap size": st["heap_size"], "used": st["used"], "used+overhead": st["real_used"],
            "free": st["free"], "max used": st["max_real_used"]}
    for k, v in want.items():
        assert int(tot[k]) == v, (name, k, tot.get(k), v)
    frag = re.search(r'<tr><th>fragments</th><td class="n">(\d+)</td><td>(\d+) used, (\d+) free', body)
    assert frag and [int(x) for x in frag.groups()] == [st["frags"]["total"], st["frags"]["used"],
                                                          st["frags"]["free"]], (name, frag)
    rows = re.findall(r'<tr><td class="n" data-v="(\d+)">\d+</td><td class="n" data-v="(\d+)">\d+</td>'
                      r'<td class="n" data-v="[\d.]+">[\d.]+</td><td>(.*?)</td><td>(.*?)</td></tr>', body)
    sites = su["sites"]
    assert len(rows) == len(sites), (name, len(rows), len(sites))
    for (c, b, mod, site), s in zip(rows, sites):
        want_site = "%s: %s(%d)" % (s["file"], s["func"], s["line"])
        assert (int(c), int(b), html.unescape(site)) == (s["count"], s["bytes"], want_site), \
            (name, c, b, site, s)
    assert "<svg" in body and "Heap map" in body, name
print("report agrees with stats/summary: %s" % ", ".join(
    "%s %d sites" % (s[0], len(su["sites"])) for s, su in zip(sections, summ["pools"])))
