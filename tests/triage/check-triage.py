#!/usr/bin/env python3
"""Checks one triage scenario's artefacts (scenario.sh NAME OUTDIR).

  check-triage.py NAME OUTDIR HEAPWALK

The state was reached (per scenario, from Kamailio's log, its own dump and
the traffic), and heapwalk's stats and summary of OUTDIR/core agree with the
pkg and shm status and sums Kamailio logged for that same moment (q_malloc
only: the dumps of the other managers read differently). Prints one line per
check; exits 0 if all passed, 1 otherwise.
"""

import json
import re
import subprocess
import sys

STATUS = re.compile(r"^\s*\d+\((\d+)\) NOTICE: qm_status: qm_status\(\): (.*)$")
SUMS = re.compile(r"^\s*\d+\((\d+)\) NOTICE: qm_sums: qm_sums\(\):\s+count=\s*(\d+) size=\s*(\d+) "
                  r"bytes from (\S+): (.*): (\w+)\((\d+)\)$")

failed = []


def check(ok, what):
    print(("ok: " if ok else "FAIL: ") + what)
    if not ok:
        failed.append(what)


def dumps(log, pid):
    """The first status and sums Kamailio logged per block for `pid`:
    {block: {"heap": n, "used": n, "real_used": n, "free": n, "sites": {...}}}."""
    out, cur = {}, None
    for line in open(log, encoding="latin-1"):
        m = STATUS.match(line)
        if m and m.group(1) == pid:
            body = m.group(2)
            b = re.match(r"\((0x[0-9a-f]+)\):$", body)
            if b:
                cur = out.setdefault(b.group(1), {"sites": {}}) if b.group(1) not in out else None
                continue
            if cur is None:
                continue
            h = re.match(r"heap size= (\d+)$", body)
            u = re.match(r"used= (\d+), used\+overhead=(\d+), free=(\d+)$", body)
            if h:
                cur["heap"] = int(h.group(1))
            elif u:
                cur["used"], cur["real_used"], cur["free"] = map(int, u.groups())
            continue
        m = SUMS.match(line)
        if m and m.group(1) == pid and cur is not None:
            key = (m.group(4), m.group(6), int(m.group(7)))
            if key not in cur["sites"]:
                cur["sites"][key] = (int(m.group(2)), int(m.group(3)))
    return out


def heapwalk(hw, *args):
    r = subprocess.run([hw] + list(args) + ["--format", "json"], capture_output=True, text=True)
    if r.returncode != 0:
        check(False, "heapwalk %s exited %d: %s" % (" ".join(args), r.returncode, r.stderr.strip()[:200]))
        return []
    return json.loads(r.stdout)["pools"]


def site_of(dump, func):
    """(count, bytes) of the sites named `func` in a Kamailio sums dump."""
    c = sum(v[0] for k, v in dump["sites"].items() if k[1] == func)
    return c, sum(v[1] for k, v in dump["sites"].items() if k[1] == func)


EXIT = {"leak suspect": 3, "pool too small": 4, "fragmentation": 5, "ok": 0}


def live_diagnose(out, want, pool, pid, site, module=None):
    """diagnose --pid (default series) while the state held: the verdict `want` for
    `pool` (pkg: of process `pid`), naming `site`, with want's exit code."""
    try:
        d = json.load(open(out + "/diag-live.json"))
        rc = int(open(out + "/diag-live.rc").read())
    except (OSError, ValueError) as e:
        check(False, "diagnose --pid ran while the state held: %s" % e)
        return None
    items = [p for p in d["pools"] if p["pool"] == pool and (pool == "shm" or str(p["pid"]) == pid)]
    it = items[0] if items else None
    text = it and " ".join([it["headline"]] + it["evidence"] + [it["advice"]])
    check(it is not None and it["verdict"] == want,
          "diagnose --pid (%s): %s %s: %s" % (d.get("growth_data"), pool, pid if pool == "pkg" else "",
                                               it and it["headline"]))
    if site:
        check(it is not None and site in it["advice"] and (not module or "[%s]" % module in it["advice"]),
              "diagnose --pid names %s%s in its final line: %s"
              % (site, " [%s]" % module if module else "", it and it["advice"]))
    check(rc == EXIT[want], "diagnose --pid exits %d (%s): %d" % (EXIT[want], want, rc))
    return text


def main():
    name, out, hw = sys.argv[1:4]
    target = dict(l.rstrip("\n").split("=", 1) for l in open(out + "/target.txt"))
    log = out + "/kamailio.log"
    text = open(log, encoding="latin-1").read()
    d = dumps(log, target["pid"])
    stats = {p["pool"]: p for p in heapwalk(hw, "stats", "--core", out + "/core")}
    pools = {}
    for pool in ("pkg", "shm"):
        p = stats.get(pool)
        k = d.get(p["block"]) if p else None
        check(k is not None and "used" in k, "%s: Kamailio's dump of block %s in the log" % (pool, p and p["block"]))
        if not p or not k or "used" not in k:
            continue
        pools[pool] = k
        check(p["walk_complete"] and p["findings_total"] == 0,
              "%s: heapwalk walks it completely, no findings" % pool)
        mine = (p["heap_size"], p["used"], p["real_used"], p["free"])
        theirs = (k["heap"], k["used"], k["real_used"], k["free"])
        check(mine == theirs, "%s: heapwalk stats (size, used, used+overhead, free) %s = qm_status %s"
              % (pool, mine, theirs))
    if len(pools) < 2:
        return 1
    shm, pkg = pools["shm"], pools["pkg"]
    sites = {p["pool"]: {(s["module"], s["func"], s["line"]): (s["count"], s["bytes"]) for s in p["sites"]}
             for p in heapwalk(hw, "summary", "--core", out + "/core")}

    def same_site(pool, func):
        kam = {k: v for k, v in pools[pool]["sites"].items() if k[1] == func}
        mine = {k: v for k, v in sites.get(pool, {}).items() if k[1] == func}
        check(kam and kam == mine, "%s: heapwalk summary of %s %s = qm_sums %s" % (pool, func, mine, kam))

    if name == "shm-leak":
        n = text.count("no more shm")
        check(n >= 100, "Kamailio logged 'no more shm' %d times" % n)
        check(shm["real_used"] >= 0.99 * shm["heap"], "shm exhausted: %d of %d used with overhead"
              % (shm["real_used"], shm["heap"]))
        c, b = site_of(shm, "ht_cell_new")
        check(b >= 0.5 * shm["used"], "htable ht_cell_new holds %d bytes in %d cells, %.0f%% of shm used"
              % (b, c, 100.0 * b / shm["used"]))
        same_site("shm", "ht_cell_new")
        # the htable cells keep each request after their own fields: --classify finds it there
        held = [s for p in heapwalk(hw, "summary", "--core", out + "/core", "--pool", "shm", "--classify")
                for s in p["sites"] if s["func"] == "ht_cell_new"]
        content = held[0]["content"] if len(held) == 1 else {}
        lines = content.get("sip_start_lines", {})
        check(content.get("main") == "sip_message" and content["sip_message"] >= 0.95 * held[0]["count"]
              and set(lines) <= {"INVITE", "MESSAGE"} and sum(lines.values()) == content["sip_message"],
              "summary --classify: ht_cell_new's cells hold SIP requests (INVITE, MESSAGE): %s" % content)
        # one core of an exhausted pool: no advice to add memory, the dominating site named
        r = subprocess.run([hw, "diagnose", "--core", out + "/core", "--pool", "shm"],
                           capture_output=True, text=True)
        check("ht_cell_new" in r.stdout and "leak suspect" in r.stdout,
              "diagnose --core names the dominating site as a leak suspect: %s"
              % r.stdout.strip()[:300])
        check("more memory for" not in r.stdout and "-m for shm" not in r.stdout,
              "diagnose --core does not advise more memory")
        check("exhausted" in r.stdout, "diagnose --core says the pool is exhausted")
        t = live_diagnose(out, "leak suspect", "shm", target["pid"], "ht_cell_new", "htable")
        check(t is not None and "exhausted" in t and "-m " not in t,
              "diagnose --pid says exhausted and advises no -m")
    elif name == "pkg-leak":
        others = [json_pkg for json_pkg in pkg_stats(out + "/pkg-stats.txt")
                  if json_pkg["desc"].startswith("udp receiver") and json_pkg["pid"] != target["pid"]]
        worst = max((o["real_used"] for o in others), default=0)
        check(others and pkg["real_used"] >= 2.5 * worst,
              "the leaking worker's pkg: %d used with overhead, the other workers at most %d"
              % (pkg["real_used"], worst))
        c, b = site_of(pkg, "pv_cache_add")
        check(c >= 1000, "pv cache entries in the worker's pkg: %d (%d bytes)" % (c, b))
        check(re.search(r"\(%s\) WARNING: .*pv cache limit" % target["pid"], text) is not None,
              "Kamailio warned that the worker's pv cache exceeds its limit")
        same_site("pkg", "pv_cache_add")
        live_diagnose(out, "leak suspect", "pkg", target["pid"], "pv_cache_add")
    elif name == "busy":
        series = [tuple(map(int, l.split())) for l in open(out + "/series.txt") if l.strip()]
        total = int(target["shm_total"])
        driving, after = [v for _, v in series[:-1]], series[-1][1]
        peak, tail = max(driving), driving[-5:]
        check(peak >= 0.75 * total, "shm near full under load: peak %d of %d (%.0f%%)"
              % (peak, total, 100.0 * peak / total))
        check(max(tail) - min(tail) <= 0.05 * total, "usage levels off: last samples %s" % tail)
        check(after <= driving[0] + 0.10 * total,
              "no leak: %d used 12 s after the traffic stopped, %d before it started" % (after, driving[0]))
        check(shm["real_used"] >= 0.6 * total, "the core is taken under load: %d used" % shm["real_used"])
        t = live_diagnose(out, "pool too small", "shm", target["pid"], None)
        check(t is not None and "not suspects" in t and "in-flight" in t and "kept growing" not in t,
              "the sites that grew under load are named as in-flight state, not suspects: %s" % t)
        check(t is not None and re.search(r"-m \d+", t) is not None, "a -m value is advised")
    elif name == "frag":
        probe = re.search(r"probe of (\d+) bytes (\S+)", open(out + "/traffic.txt").read())
        check(probe and probe.group(2) == "500", "the probe was refused: %s" % (probe and probe.group(0)))
        size = int(probe.group(1)) if probe else 0
        check("ht_cell_new(): no more shm" in text, "Kamailio logged ht_cell_new(): no more shm")
        check(shm["free"] >= 10 * size, "free shm %d is more than 10 times the refused %d bytes"
              % (shm["free"], size))
        largest = stats["shm"]["fragmentation"]["largest_free"]
        check(largest < size, "heapwalk's largest free piece %d is smaller than the request" % largest)
        r = subprocess.run([hw, "diagnose", "--core", out + "/core", "--pool", "shm",
                            "--request", str(size)], capture_output=True, text=True)
        check("fragmentation: a request of" in r.stdout and "fails though" in r.stdout,
              "diagnose --core --request %d: fragmentation, the failing request said: %s"
              % (size, r.stdout.strip()[:300]))
        live_diagnose(out, "fragmentation", "shm", target["pid"], None)
    return 1 if failed else 0


def pkg_stats(path):
    """kamcmd pkg.stats output as a list of {pid, desc, real_used}."""
    procs, cur = [], {}
    for line in open(path, encoding="latin-1"):
        m = re.match(r"\s*(\w+): (.*)$", line)
        if m:
            cur[m.group(1)] = m.group(2).strip()
        elif line.strip() == "}" and cur:
            procs.append({"pid": cur.get("pid"), "desc": cur.get("desc", ""),
                          "real_used": int(cur.get("real_used", 0))})
            cur = {}
    return procs


if __name__ == "__main__":
    sys.exit(main())
