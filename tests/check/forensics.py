#!/usr/bin/env python3
"""forensics.py - addr, refs, leaks and the content options on an intact fixture core
whose program leaked LEAK fragments from one site (htable: ht_cell_pkg_copy).

usage: forensics.py HEAPWALK CORE LEAK
"""
import json
import subprocess
import sys

HW, CORE, LEAK = sys.argv[1], sys.argv[2], int(sys.argv[3])
passed = failed = 0


def run(*args):
    p = subprocess.run(["timeout", "120", HW] + list(args) + ["--core", CORE],
                       capture_output=True, text=True)
    return p.returncode, p.stdout, p.stderr


def result(name, ok, detail=""):
    global passed, failed
    passed += ok
    failed += not ok
    print(("ok   %s" if ok else "FAIL %s") % name + ("" if ok or not detail else ": " + detail))


rc, out, err = run("leaks", "--pool", "pkg", "--format", "json")
j = json.loads(out)
site = [s for s in j["pools"][0]["sites"] if s["func"] == "ht_cell_pkg_copy"]
# conservative: a stale copy of a leaked pointer somewhere (a reused payload, a stack) keeps a
# fragment off the list, so a few may be missing; never more than were leaked
result("leaks finds the %d leaked fragments of ht_cell_pkg_copy (at least 80%%)" % LEAK,
       rc == 0 and site and LEAK * 4 // 5 <= site[0]["count"] <= LEAK and "conservative" in j["conservative"],
       "exit %d: %s" % (rc, site))
leaked = site[0]["example"] if site else None
if leaked:
    rc, out, err = run("refs", "--format", "json", leaked)
    r = json.loads(out)
    lo, hi = int(r["range"]["from"], 16), int(r["range"]["to"], 16)
    outside = [x for x in r["refs"] if not lo <= int(x["at"], 16) < hi]
    result("refs on a leaked fragment (%s): none from outside itself" % leaked,
           rc == 0 and not outside, out[:300])
frags = json.loads(run("frags", "--pool", "pkg", "--format", "json")[1])["pools"][0]["fragments"]
free = [f for f in frags[1:-1] if f["state"] == "free"]
rc, out, err = run("refs", "--format", "json", free[len(free) // 2]["address"])
r = json.loads(out)
result("refs on a free fragment: its free-list links", rc == 0 and
       any(x["in"] in ("free_fragment", "heap_metadata") for x in r["refs"]), out[:300])
f = free[len(free) // 2]
rc, out, err = run("addr", f["address"])
result("addr on a free fragment says where it was freed",
       rc == 0 and "freed at:" in out and f["func"] in out and "previous:" in out and "next:" in out,
       out)
rc, out, err = run("addr", "0x10")
result("addr outside every pool: exit 0, says so", rc == 0 and "in no Kamailio pool" in out, out)
u = next(x for x in frags if x["state"] == "used" and x["size"] >= 32)
rc, out, err = run("frags", "--pool", "pkg", "--from", str(u["index"]), "--to", str(u["index"]),
                   "--hexdump", "32", "--strings")
lines = out.splitlines()
result("frags --hexdump 32 --strings: two hexdump lines after the fragment",
       rc == 0 and any(l.strip().startswith("00000000 ") for l in lines)
       and any(l.strip().startswith("00000010 ") for l in lines), out[:500])
rc, out, err = run("frags", "--pool", "pkg", "--format", "json", "--from", str(u["index"]), "--to",
                   str(u["index"]), "--hexdump", "16", "--strings")
fj = json.loads(out)["pools"][0]["fragments"][0]
result("frags --format json: hexdump and strings members", len(fj["hexdump"]) == 32 and
       isinstance(fj["strings"], list), str(fj)[:300])
rc, out, err = run("frags", "--format", "csv", "--hexdump", "16")
result("--hexdump with --format csv: usage error 64", rc == 64 and "--hexdump" in err, err)
rc, out, err = run("summary", "--pool", "pkg", "--classify")
result("summary --classify: a 'holds:' line per site and the pool's total",
       rc == 0 and out.count("holds:") >= 5 and "used fragments hold:" in out, out[:400])
rc, out, err = run("summary", "--pool", "pkg", "--classify", "--format", "json")
sj = json.loads(out)["pools"][0]
result("summary --classify --format json: content per site",
       all("content" in s and "main" in s["content"] for s in sj["sites"]) and "content" in sj, out[:300])
rc, out, err = run("check")
result("check on the intact core: exit 0", rc == 0 and "ok, no damage found" in out, out[:300])
print("# %d passed, %d failed" % (passed, failed))
sys.exit(1 if failed else 0)
