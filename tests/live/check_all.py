#!/usr/bin/env python3
"""Checks `heapwalk stats --pid MAIN --all --format json` of a live Kamailio.

  check_all.py ALL.JSON PIDS [--nspids NSPIDS --main PID] [--stops]

PIDS (and NSPIDS): space-separated, as core.psx lists the processes (in a
container: their pids there, NSPIDS, and the host's, PIDS). Every process
listed and labelled from pt[], each pool walked completely without
findings and its used counter equal to the fragments walked, one pkg per
process and one shm. --nspids: each process's ns_pid, the main one 1.
--stops: each process has its stop time and what was copied while it was
held. Prints one line of figures; ERROR lines and exit 1 on a problem.
"""
import argparse
import json
import sys


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("json")
    ap.add_argument("pids")
    ap.add_argument("--nspids")
    ap.add_argument("--main", type=int)
    ap.add_argument("--stops", action="store_true")
    a = ap.parse_args()
    d = json.load(open(a.json))
    pids = sorted(int(x) for x in a.pids.split())
    inst, procs = d["instance"], d["processes"]
    listed = pids
    errs = []
    if sorted(p["pid"] for p in procs) != pids:
        errs.append("processes %s, expected %s" % (sorted(p["pid"] for p in procs), pids))
    if a.nspids is not None:
        listed = sorted(int(x) for x in a.nspids.split())
        if sorted(p.get("ns_pid", 0) for p in procs) != listed:
            errs.append("ns_pids %s, core.psx %s" % (sorted(p.get("ns_pid", 0) for p in procs), listed))
        if [p.get("ns_pid") for p in procs if p["pid"] == a.main] != [1]:
            errs.append("the main process is not 1 in its namespace")
    if inst["process_count"] != len(listed) or inst["pt_entries"] != len(listed) or inst["pt_missing"]:
        errs.append("pt: count %s entries %s missing %s"
                    % (inst["process_count"], inst["pt_entries"], inst["pt_missing"]))
    shm = 0
    for p in procs:
        if not p["in_pt"] or not p["desc"]:
            errs.append("pid %d not labelled from pt[]" % p["pid"])
        for pl in p["pools"]:
            if not pl["walked"] or not pl["walk_complete"] or pl["findings_total"]:
                errs.append("pid %d %s: walk %s, %s findings"
                            % (p["pid"], pl["pool"], pl.get("walk_complete"), pl.get("findings_total")))
            elif pl["used"] != pl["used_bytes_walked"] or pl["heap_size"] - pl["real_used"] != pl["free_bytes_walked"]:
                errs.append("pid %d %s: header used %d, walked %d"
                            % (p["pid"], pl["pool"], pl["used"], pl["used_bytes_walked"]))
            shm += pl["pool"] == "shm"
        if len([pl for pl in p["pools"] if pl["pool"] == "pkg"]) != 1:
            errs.append("pid %d: no pkg pool" % p["pid"])
        # the pause is reported (a figure: bench/run measures it), and what was
        # copied while the process was held
        if a.stops and (not isinstance(p.get("stop_ms"), (int, float)) or p["stop_ms"] < 0):
            errs.append("pid %d: no stop time (%r)" % (p["pid"], p.get("stop_ms")))
        if a.stops and (not isinstance(p.get("copied_while_stopped"), int) or p["copied_while_stopped"] <= 0):
            errs.append("pid %d: copied_while_stopped %r" % (p["pid"], p.get("copied_while_stopped")))
    if shm != 1:
        errs.append("%d shm pools" % shm)
    if a.stops and not errs:
        print("stop ms per process:", " ".join("%d:%.2f/%.2f MiB" % (p["pid"], p["stop_ms"],
                                                                   p["copied_while_stopped"] / 1048576)
                                              for p in procs))
    elif a.nspids is not None:
        print(" ".join("%d=%d" % (p["pid"], p.get("ns_pid", 0)) for p in procs))
    for e in errs:
        print("ERROR", e)
    return 1 if errs else 0


if __name__ == "__main__":
    sys.exit(main())
