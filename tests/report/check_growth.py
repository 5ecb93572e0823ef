#!/usr/bin/env python3
"""check_growth.py - the growth part of a report page: the first leak suspect and its chart.

usage: check_growth.py REPORT.html POOL PID FUNC D_COUNT D_BYTES NOW_BYTES SAMPLES
Exits non-zero (with the reason) unless the first leak suspect is FUNC in
POOL of PID, grown by D_COUNT fragments and D_BYTES bytes to NOW_BYTES,
and the first chart draws it with one point per sample whose hover titles
give bytes and fragment counts ending at NOW_BYTES.
"""
import html
import re
import sys

page = open(sys.argv[1], encoding="utf-8").read()
pool, pid, func = sys.argv[2], int(sys.argv[3]), sys.argv[4]
d_count, d_bytes, now, samples = (int(x) for x in sys.argv[5:9])

m = re.search(r'<section id="growth">(.*?)</section>', page, re.S)
assert m, "no growth section"
growth = m.group(1)
rows = re.findall(r'<tr class="suspect">(.*?)</tr>', growth, re.S)
assert rows, "no leak suspects"
first = rows[0]
c = dict(re.findall(r'data-k="(\w+)" data-v="([-\d.]+)"', first))
got_pool = re.search(r'<td data-k="pool">(\w+)</td>', first).group(1)
site = html.unescape(re.search(r'<td data-k="site">(.*?)</td>', first).group(1))
assert (got_pool, int(c["pid"])) == (pool, pid), ("pool/pid", got_pool, c["pid"])
assert (": %s(" % func) in site, ("site", site)
assert int(c["d_count"]) == d_count, ("d_count", c["d_count"], d_count)
assert int(c["d_bytes"]) == d_bytes, ("d_bytes", c["d_bytes"], d_bytes)
assert int(c["bytes"]) == now, ("now", c["bytes"], now)
# suspects never shrank: every listed one grew
for r in rows:
    assert int(dict(re.findall(r'data-k="(\w+)" data-v="([-\d.]+)"', r))["d_bytes"]) > 0, r

ch = re.search(r'<figure class="chart" id="chart-1">(.*?)</figure>', growth, re.S)
assert ch, "no chart for the first suspect"
chart = ch.group(1)
assert (func + "(") in html.unescape(chart), "chart of another site"
pts = re.search(r'<polyline [^>]*points="([^"]*)"', chart)
assert pts and len(pts.group(1).split()) == samples, ("points", pts and pts.group(1), samples)
titles = re.findall(r'<circle [^>]*><title>snapshot (\d+)[^<]*: (\d+) bytes in (\d+) fragments</title>',
                    chart)
assert [int(t[0]) for t in titles] == list(range(1, samples + 1)), titles
b = [int(t[1]) for t in titles]
n = [int(t[2]) for t in titles]
assert b[-1] == now and b[-1] - b[0] == d_bytes and n[-1] - n[0] == d_count, (b, n)
assert all(x <= y for x, y in zip(b, b[1:])) and all(x <= y for x, y in zip(n, n[1:])), (b, n)
print("first leak suspect %s in %s of pid %d: %+d fragments, %+d bytes (now %d), chart of %d points%s" % (
    func, pool, pid, d_count, d_bytes, now, samples,
    ", %d suspects" % len(rows)))
