#!/usr/bin/env python3
"""Loopback SIP traffic for heapwalk's end-to-end test.

  sipsend.py PORT burst [--count N] [--timeout S]
      send N rounds of REGISTER, OPTIONS and MESSAGE (each to a different
      user) to 127.0.0.1:PORT over UDP and collect the replies; exits 0 if at
      least one reply per method came back, 1 otherwise.
  sipsend.py PORT options [--timeout S]
      send a single OPTIONS and wait up to S seconds for its reply; exits 0 if
      a reply came back, 1 on timeout (the receiving worker may be stopped).
  sipsend.py freeport
      print a UDP port on 127.0.0.1 that is free right now.

Every request carries ';rport' in its Via so the replies come back to the
sending socket. Counts and waits are bounded.
"""

import argparse
import socket
import sys
import time
import uuid

HOST = "127.0.0.1"


def request(method, port, lport, user, cseq):
    branch = "z9hG4bK-" + uuid.uuid4().hex[:16]
    callid = uuid.uuid4().hex + "@heapwalk.test"
    ruri = ("sip:%s:%d" % (HOST, port) if method == "REGISTER"
            else "sip:%s@%s:%d" % (user, HOST, port))
    body = "heapwalk e2e message %d\r\n" % cseq if method == "MESSAGE" else ""
    lines = [
        "%s %s SIP/2.0" % (method, ruri),
        "Via: SIP/2.0/UDP %s:%d;branch=%s;rport" % (HOST, lport, branch),
        "Max-Forwards: 70",
        "From: <sip:%s@heapwalk.test>;tag=%s" % (user, uuid.uuid4().hex[:8]),
        "To: <sip:%s@heapwalk.test>" % user,
        "Call-ID: " + callid,
        "CSeq: %d %s" % (cseq, method),
    ]
    if method == "REGISTER":
        lines.append("Contact: <sip:%s@%s:%d>;expires=3600" % (user, HOST, lport))
        lines.append("Expires: 3600")
    if method == "MESSAGE":
        lines.append("Content-Type: text/plain")
    lines.append("Content-Length: %d" % len(body))
    return ("\r\n".join(lines) + "\r\n\r\n" + body).encode()


def collect(sock, deadline, want):
    """Read replies until `want` arrived or the deadline passed."""
    got = []
    while len(got) < want:
        left = deadline - time.monotonic()
        if left <= 0:
            break
        sock.settimeout(left)
        try:
            data, _ = sock.recvfrom(65535)
        except socket.timeout:
            break
        got.append(data.decode("latin-1"))
    return got


def open_socket():
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind((HOST, 0))
    return sock


def burst(port, count, timeout):
    sock = open_socket()
    lport = sock.getsockname()[1]
    sent = 0
    replies = []
    deadline = time.monotonic() + timeout
    for i in range(count):
        for method in ("REGISTER", "OPTIONS", "MESSAGE"):
            user = "user%03d" % i
            sock.sendto(request(method, port, lport, user, i + 1), (HOST, port))
            sent += 1
        # pace the sender: collect this round's replies before the next one
        replies += collect(sock, min(deadline, time.monotonic() + 1.0), 3)
        if time.monotonic() > deadline:
            break
    replies += collect(sock, min(deadline, time.monotonic() + 1.0),
                       sent - len(replies))
    sock.close()
    seen = {}
    for r in replies:
        for line in r.split("\r\n"):
            if line.lower().startswith("cseq:"):
                m = line.split()[-1]
                seen[m] = seen.get(m, 0) + 1
    print("sipsend: sent %d requests, got %d replies %s" % (sent, len(replies), seen))
    return 0 if all(seen.get(m) for m in ("REGISTER", "OPTIONS", "MESSAGE")) else 1


def options(port, timeout):
    sock = open_socket()
    lport = sock.getsockname()[1]
    sock.sendto(request("OPTIONS", port, lport, "probe", 1), (HOST, port))
    got = collect(sock, time.monotonic() + timeout, 1)
    sock.close()
    return 0 if got else 1


def freeport():
    sock = open_socket()
    print(sock.getsockname()[1])
    sock.close()
    return 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("port", help="target UDP port, or 'freeport'")
    ap.add_argument("mode", nargs="?", choices=("burst", "options"), default="burst")
    ap.add_argument("--count", type=int, default=20)
    ap.add_argument("--timeout", type=float, default=10.0)
    a = ap.parse_args()
    if a.port == "freeport":
        return freeport()
    port = int(a.port)
    count = max(1, min(a.count, 1000))
    timeout = max(0.1, min(a.timeout, 60.0))
    if a.mode == "options":
        return options(port, timeout)
    return burst(port, count, timeout)


if __name__ == "__main__":
    sys.exit(main())
