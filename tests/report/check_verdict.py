#!/usr/bin/env python3
"""check_verdict.py - the verdict at the top of an instance report page.

usage: check_verdict.py REPORT.html DIAGNOSE.json [POOL:WORD]...
Exits non-zero (with the reason) unless
  - the page's sections come in the order an operator reads them: the
    verdict first, then the instance, the growth (if any), the shm pool,
    and only then the per-process pkg table and each process's pkg (on one
    process's page: the verdict, the target, shm, pkg);
  - its verdicts (pool, verdict, headline, evidence, advice) are diagnose's
    in DIAGNOSE.json (`diagnose --format json` of the same input), in order;
  - for each POOL:WORD, the page's first verdict of POOL is not "ok" and its
    headline says WORD (e.g. pkg:exhausted).
"""
import html
import json
import re
import sys

page = open(sys.argv[1], encoding="utf-8").read()
diag = json.load(open(sys.argv[2]))


def text(s):
    return html.unescape(re.sub(r"<[^>]*>", "", s)).strip()


if '<table class="sort procs">' in page:  # the instance page
    marks = [("verdict", '<section id="verdict">'), ("instance", '<h2 id="instance">'),
             ("growth", '<section id="growth">'), ("shm", '<section class="pool" id="pool-shm">'),
             ("pkg table", '<table class="sort procs">'), ("pkg of each process", '<h2 id="pkg">')]
    needed = ("verdict", "instance", "shm", "pkg table")
else:  # one process's page
    marks = [("verdict", '<section id="verdict">'), ("target", '<h2>Target</h2>'),
             ("shm", '<section class="pool" id="pool-shm">'), ("pkg", '<section class="pool" id="pool-pkg">')]
    needed = ("verdict", "target", "shm", "pkg")
found = [(page.find(m), name) for name, m in marks if page.find(m) >= 0]
names = [n for _, n in found]
for need in needed:
    assert need in names, "no %s section" % need
order = [n for _, n in sorted(found)]
assert order == names, "sections in the order %s, not %s" % (order, names)
assert page.find("<section class=\"pool\"") > page.find('<section id="verdict">'), "a pool before the verdict"

section = re.search(r'<section id="verdict">(.*?)</section>', page, re.S).group(1)
items = re.findall(r'<div class="verdict( ok)?" data-pool="(\w+)" data-verdict="([a-z ]+)"><h3>(.*?)</h3>'
                   r'(.*?)</div>', section, re.S)
want = diag["pools"]
assert len(items) == len(want), "%d verdicts on the page, diagnose gives %d" % (len(items), len(want))
for (okc, pool, verdict, h3, body), w in zip(items, want):
    assert pool == w["pool"] and verdict == w["verdict"], (pool, verdict, w["pool"], w["verdict"])
    assert (okc == " ok") == (verdict == "ok"), (pool, "ok class", okc, verdict)
    h3 = text(h3)
    assert h3.endswith(": " + w["headline"]), (pool, h3, w["headline"])
    if w.get("pid"):
        assert h3.startswith("%s of pid %d" % (pool, w["pid"])), (pool, h3)
    ev = [text(li) for li in re.findall(r"<li>(.*?)</li>", body, re.S)]
    assert ev == w["evidence"], (pool, ev, w["evidence"])
    adv = re.search(r'<p class="advice">(.*?)</p>', body, re.S)
    assert (text(adv.group(1)) if adv else "") == w["advice"], (pool, adv, w["advice"])

said = []
for spec in sys.argv[3:]:
    pool, word = spec.split(":", 1)
    got = [(v, text(h3)) for _, p, v, h3, _ in items if p == pool]
    assert got, "no verdict for %s on the page" % pool
    assert got[0][0] != "ok" and word in got[0][1], (pool, got[0], word)
    said.append(got[0][1])
print("verdict first, as diagnose gives it (%d pools), then %s%s" %
      (len(items), ", ".join(names[1:]), "; " + "; ".join(said) if said else ""))
