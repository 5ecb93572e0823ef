#!/usr/bin/env python3
"""sipload.py - steady SIP load on loopback for bench/run's live rows.

  sipload.py PORT --seconds S [--rate R] [--users U]

Sends REGISTER, MESSAGE and OPTIONS in turn to 127.0.0.1:PORT over UDP, R
requests a second (default 1500) for at most S seconds (at most 3600), each
to one of U users (default 5000): Kamailio keeps a registration per user
(replaced), a transaction per MESSAGE (freed seconds later) and an htable
item per user (replaced), so its shm is allocated and freed all the time.
Replies are read and counted, never waited for: a stopped worker does not
slow the sender. Prints one JSON line at the end (also on SIGTERM).
"""

import argparse
import json
import os
import signal
import socket
import sys
import time

HOST = "127.0.0.1"
METHODS = ("REGISTER", "MESSAGE", "OPTIONS")


def request(method, port, lport, user, seq):
    branch = "z9hG4bK-b%d-%d" % (os.getpid(), seq)
    ruri = ("sip:%s:%d" % (HOST, port) if method == "REGISTER"
            else "sip:%s@%s:%d" % (user, HOST, port))
    body = "bench load %d\r\n" % seq if method == "MESSAGE" else ""
    lines = [
        "%s %s SIP/2.0" % (method, ruri),
        "Via: SIP/2.0/UDP %s:%d;branch=%s;rport" % (HOST, lport, branch),
        "Max-Forwards: 70",
        "From: <sip:%s@bench.test>;tag=t%d" % (user, seq),
        "To: <sip:%s@bench.test>" % user,
        "Call-ID: c%d-%d@bench.test" % (os.getpid(), seq),
        "CSeq: %d %s" % (seq, method),
    ]
    if method == "REGISTER":
        lines.append("Contact: <sip:%s@%s:%d>;expires=60" % (user, HOST, lport))
    if method == "MESSAGE":
        lines.append("Content-Type: text/plain")
    lines.append("Content-Length: %d" % len(body))
    return ("\r\n".join(lines) + "\r\n\r\n" + body).encode()


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("port", type=int)
    ap.add_argument("--seconds", type=float, required=True)
    ap.add_argument("--rate", type=float, default=1500.0)
    ap.add_argument("--users", type=int, default=5000)
    a = ap.parse_args()
    seconds = max(0.1, min(a.seconds, 3600.0))
    rate = max(1.0, min(a.rate, 50000.0))
    users = max(1, min(a.users, 1000000))
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind((HOST, 0))
    sock.setblocking(False)
    lport = sock.getsockname()[1]
    stats = {"sent": 0, "replies": 0, "send_errors": 0}
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    t0 = time.monotonic()
    seq = 0
    while not stop:
        now = time.monotonic()
        if now - t0 >= seconds:
            break
        # catch up to the rate, a few requests at a time
        due = int((now - t0) * rate) - seq
        for _ in range(min(max(due, 0), 50)):
            seq += 1
            try:
                sock.sendto(request(METHODS[seq % 3], a.port, lport, "u%d" % (seq % users), seq),
                            (HOST, a.port))
                stats["sent"] += 1
            except OSError:
                stats["send_errors"] += 1
        for _ in range(200):
            try:
                sock.recv(65535)
                stats["replies"] += 1
            except (BlockingIOError, InterruptedError):
                break
            except OSError:
                break
        if due <= 0:
            time.sleep(0.002)
    stats["seconds"] = round(time.monotonic() - t0, 2)
    print(json.dumps(stats), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
