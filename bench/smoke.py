#!/usr/bin/env python3
"""smoke.py - meson test: bench/run on a 10k-fragment heap writes valid JSON (with a
--baseline and the streaming-read row); the progress line.

Usage: smoke.py BUILD_DIR

Times nothing: it checks that the bench scripts work end to end (generator,
gcore, probe, measuring wrapper, JSON) and that heapwalk's progress line
appears on a terminal and never in a pipe. Exit 77 (skip) without gcore or
when the machine does not let gcore attach.
"""

import json
import os
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))


def fail(msg):
    print("FAIL: " + msg)
    sys.exit(1)


def main():
    build = os.path.abspath(sys.argv[1])
    if not shutil.which("gcore"):
        print("SKIP: no gcore")
        return 77
    with tempfile.TemporaryDirectory(prefix="hw-bench-smoke-") as tmp:
        out = os.path.join(tmp, "r.json")
        r = subprocess.run([sys.executable, os.path.join(HERE, "run"), "--build", build,
                            "--cache", os.path.join(tmp, "cache"), "--sizes", "10k",
                            "--managers", "qm", "--reps", "1", "--json", out, "--no-gdb",
                            "--quiet-gen", "--kamailio", "none", "--live-kamailio", "none",
                            "--baseline", os.path.join(build, "heapwalk")],
                           capture_output=True, text=True)
        print(r.stdout)
        print(r.stderr, file=sys.stderr)
        if not os.path.exists(out):
            fail("bench/run wrote no JSON (exit %d)" % r.returncode)
        with open(out) as f:
            res = json.load(f)
        if not res["heaps"]:
            if any("gcore" in n for n in res["notes"]):
                print("SKIP: gcore cannot attach here: %s" % res["notes"])
                return 77
            fail("no heap measured: %s" % res["notes"])
        if r.returncode != 0:
            fail("bench/run exited %d" % r.returncode)
        for key in ("format_version", "date", "machine", "build", "load", "heaps", "bar",
                    "notes", "gdb", "live_kamailio"):
            if key not in res:
                fail("no %r in the JSON" % key)
        h = res["heaps"][0]
        if h["manager"] != "q_malloc" or h["label"] != "10k" or h["problems"]:
            fail("unexpected heap entry: %s" % json.dumps(h)[:500])
        if abs(h["frags"] - 10000) > 10 or h["sites"] < 100:
            fail("the generator made %d fragments at %d sites" % (h["frags"], h["sites"]))
        names = [x["name"] for x in h["results"]]
        for want in ("probe", "stream", "stats", "summary", "frags --format csv"):
            if want not in names:
                fail("no %r result (have %s)" % (want, names))
        for x in h["results"]:
            # a run shorter than the 1 ms sampling interval may show no anonymous memory
            if not (x["wall_s_median"] > 0 and x["frags_per_s"] > 0 and x["maxrss_kib"] > 0
                    and x["peak_anon_kib"] >= 0):
                fail("empty measurement: %s" % x)
            if x["exit"] != [0]:
                fail("%s exited %s" % (x["name"], x["exit"]))
        if [x for x in h["results"] if x["name"] == "probe"][0]["ratio_to_probe"] != 1.0:
            fail("the probe's own ratio is not 1")
        # the streaming limit: every row has its time ratio to it, its own is 1
        if [x for x in h["results"] if x["name"] == "stream"][0]["time_over_stream"] != 1.0 \
                or any(not x.get("time_over_stream") for x in h["results"]):
            fail("time ratios to the stream row: %s" % [
                (x["name"], x.get("time_over_stream")) for x in h["results"]])
        # --baseline (here the same binary): a '[base]' row and a ratio per heapwalk command
        base = sorted(v["name"] for v in h.get("vs_baseline", []))
        if base != sorted(n for n in names if n + " [base]" in names) or "stats" not in base:
            fail("--baseline: ratios for %s, rows %s" % (base, names))

        # The progress line: on a terminal (forced at once), wiped at the end; never in a pipe.
        d = os.path.join(tmp, "cache", "qm-56-dbg-10k")
        cmd = [os.path.join(build, "heapwalk"), "stats", "--core", os.path.join(d, "core"),
               "--exe", os.path.join(d, "exe"), "--pool", "shm"]
        env = dict(os.environ, HEAPWALK_PROGRESS_AFTER="0")
        p = subprocess.run(cmd, capture_output=True, text=True, env=env)
        if p.returncode != 0 or "walking" in p.stderr:
            fail("stats into a pipe: exit %d, stderr %r" % (p.returncode, p.stderr))
        if shutil.which("script"):
            line = " ".join("'%s'" % c for c in cmd) + " > /dev/null"
            t = subprocess.run(["script", "-qec", line, "/dev/null"], capture_output=True,
                               env=env)
            text = t.stdout.decode(errors="replace")
            if t.returncode != 0 or "\rheapwalk: walking the shm pool:" not in text \
                    or "fragments" not in text or not text.endswith("\r\x1b[K"):
                fail("no progress line on a terminal: exit %d, %r" % (t.returncode, text[-300:]))
        else:
            print("no 'script' (util-linux): progress on a terminal not checked")
    print("ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
