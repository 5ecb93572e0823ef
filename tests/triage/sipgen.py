#!/usr/bin/env python3
"""Loopback SIP load for heapwalk's triage scenarios (127.0.0.1 over UDP only).

  sipgen.py PORT flood --methods M[,M...] [--count N] [--body BYTES]
                       [--rate R] [--expires S] [--timeout S]
      send N requests, cycling through the methods, each with its own
      Call-ID (REGISTERs each for a new user, with Expires S); at most R
      requests per second when R > 0; a window of requests in flight, so a
      full receive queue never drops them. Prints what came back per status.
  sipgen.py PORT frag --pairs N [--big BYTES] [--small BYTES] [--probe BYTES]
                      [--timeout S]
      MESSAGEs whose bodies the config keeps (X-Frag: keep KEY): a large and a
      small one in turn, N pairs (or until shm refuses: no reply to a pair
      means the pool is full); then X-Frag: purge (every large one dropped);
      then one MESSAGE with a body of --probe bytes to keep. Exits 0.
  sipgen.py freeport [N]
      print N UDP ports of 127.0.0.1 that are free right now.

Every request has ';rport' in its Via so replies come to the sending socket.
Counts, rates and waits are bounded.
"""

import argparse
import socket
import sys
import time
import uuid

HOST = "127.0.0.1"
WINDOW = 32  # requests in flight at most


def request(method, port, lport, n, body="", expires=3600, extra=()):
    user = "u%s-%d" % (uuid.uuid4().hex[:6], n)
    ruri = ("sip:%s:%d" % (HOST, port) if method == "REGISTER"
            else "sip:%s@%s:%d" % (user, HOST, port))
    lines = [
        "%s %s SIP/2.0" % (method, ruri),
        "Via: SIP/2.0/UDP %s:%d;branch=z9hG4bK-%s;rport" % (HOST, lport, uuid.uuid4().hex[:16]),
        "Max-Forwards: 70",
        "From: <sip:%s@heapwalk.test>;tag=%s" % (user, uuid.uuid4().hex[:8]),
        "To: <sip:%s@heapwalk.test>" % user,
        "Call-ID: %s@heapwalk.test" % uuid.uuid4().hex,
        "CSeq: %d %s" % (n + 1, method),
    ]
    if method in ("REGISTER", "INVITE"):
        lines.append("Contact: <sip:%s@%s:%d>;expires=%d" % (user, HOST, lport, expires))
    if method == "REGISTER":
        lines.append("Expires: %d" % expires)
    lines += list(extra)
    if body:
        lines.append("Content-Type: text/plain")
    lines.append("Content-Length: %d" % len(body))
    return ("\r\n".join(lines) + "\r\n\r\n" + body).encode()


def status_of(data):
    """The status code of a final reply, None for a provisional one."""
    parts = data.split(b" ", 2)
    if len(parts) < 2 or not parts[0].startswith(b"SIP/2.0") or parts[1].startswith(b"1"):
        return None
    return parts[1].decode("latin-1")


class Sender:
    """One socket; send() keeps at most WINDOW requests in flight."""

    def __init__(self, port, deadline):
        self.port = port
        self.deadline = deadline
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind((HOST, 0))
        self.lport = self.sock.getsockname()[1]
        self.inflight = 0
        self.sent = 0
        self.status = {}

    def expired(self):
        return time.monotonic() >= self.deadline

    def drain(self, want, wait):
        """Read replies until `want` or fewer are in flight; a silence of
        `wait` seconds counts the rest as lost."""
        while self.inflight > want and not self.expired():
            self.sock.settimeout(max(0.01, min(wait, self.deadline - time.monotonic())))
            try:
                data, _ = self.sock.recvfrom(65535)
            except socket.timeout:
                self.status["lost"] = self.status.get("lost", 0) + self.inflight
                self.inflight = 0
                return
            code = status_of(data)
            if code:
                self.status[code] = self.status.get(code, 0) + 1
                self.inflight -= 1

    def send(self, data):
        self.drain(WINDOW - 1, 1.0)
        self.sock.sendto(data, (HOST, self.port))
        self.inflight += 1
        self.sent += 1

    def call(self, data):
        """Send one request alone and return its final status ("lost" if
        none came within 2 s)."""
        self.drain(0, 1.0)
        lost = self.status.get("lost", 0)
        codes = dict(self.status)
        self.send(data)
        self.drain(0, 2.0)
        if self.status.get("lost", 0) > lost:
            return "lost"
        return next((c for c in self.status if self.status[c] > codes.get(c, 0)), "lost")

    def report(self, what):
        self.drain(0, 1.0)
        print("sipgen %s: sent %d, replies %s" % (what, self.sent, dict(sorted(self.status.items()))))
        self.sock.close()


def flood(a):
    s = Sender(a.port, time.monotonic() + a.timeout)
    methods = a.methods.split(",")
    body = ("x" * 63 + "\n") * (a.body // 64) + "x" * (a.body % 64)
    t0 = time.monotonic()
    for i in range(a.count):
        if s.expired():
            break
        if a.rate > 0:
            ahead = t0 + i / a.rate - time.monotonic()
            if ahead > 0.05:
                s.drain(0, 1.0)  # wait for replies rather than idle
            time.sleep(max(0.0, t0 + i / a.rate - time.monotonic()))
        m = methods[i % len(methods)]
        s.send(request(m, a.port, s.lport, i, body if m != "REGISTER" else "", a.expires))
    s.report("flood")
    return 0


def frag(a):
    s = Sender(a.port, time.monotonic() + a.timeout)
    big = "b" * a.big
    small = "s" * a.small
    i = 0
    for i in range(a.pairs):
        if s.expired():
            break
        codes = [s.call(request("MESSAGE", a.port, s.lport, i, body, extra=("X-Frag: keep " + key,)))
                 for key, body in (("big-%d" % i, big), ("small-%d" % i, small))]
        if "200" not in codes:
            break  # not even the small one fits: the pool is full
    purged = s.call(request("MESSAGE", a.port, s.lport, 0, extra=("X-Frag: purge",)))
    probe = s.call(request("MESSAGE", a.port, s.lport, 0, "p" * a.probe, extra=("X-Frag: keep probe",)))
    print("sipgen frag: purge %s, probe of %d bytes %s" % (purged, a.probe, probe))
    s.report("frag (%d pairs tried)" % (i + 1))
    return 0


def freeport(n):
    socks = []
    for _ in range(n):
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sock.bind((HOST, 0))
        socks.append(sock)
    print(" ".join(str(s.getsockname()[1]) for s in socks))
    for sock in socks:
        sock.close()
    return 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("port", help="target UDP port, or 'freeport'")
    ap.add_argument("mode", nargs="?", default="flood")
    ap.add_argument("--methods", default="OPTIONS")
    ap.add_argument("--count", type=int, default=100)
    ap.add_argument("--body", type=int, default=0)
    ap.add_argument("--rate", type=float, default=0.0)
    ap.add_argument("--expires", type=int, default=3600)
    ap.add_argument("--pairs", type=int, default=100)
    ap.add_argument("--big", type=int, default=8000)
    ap.add_argument("--small", type=int, default=200)
    ap.add_argument("--probe", type=int, default=16000)
    ap.add_argument("--timeout", type=float, default=30.0)
    a = ap.parse_args()
    if a.port == "freeport":
        return freeport(max(1, min(int(a.mode) if a.mode.isdigit() else 1, 8)))
    a.port = int(a.port)
    a.count = max(1, min(a.count, 200000))
    a.pairs = max(1, min(a.pairs, 20000))
    a.body = max(0, min(a.body, 30000))
    a.big = max(1, min(a.big, 30000))
    a.small = max(1, min(a.small, 30000))
    a.probe = max(1, min(a.probe, 60000))
    a.timeout = max(0.5, min(a.timeout, 90.0))
    if a.mode == "flood":
        return flood(a)
    if a.mode == "frag":
        return frag(a)
    ap.error("unknown mode " + a.mode)
    return 64


if __name__ == "__main__":
    sys.exit(main())
