#!/usr/bin/env python3
"""REGISTERs for heapwalk's live tests: N new users, each with its own contact.

  sipreg.py PORT COUNT [--timeout S] [--tag TAG]

Sends COUNT REGISTERs over UDP to 127.0.0.1:PORT (users TAG-0 .. TAG-(COUNT-1),
';rport' in the Via) and waits for their replies; exits 0 if every one was
answered with 200, 1 otherwise. Bounded in count and time.
"""

import argparse
import socket
import sys
import time
import uuid

HOST = "127.0.0.1"


def register(port, lport, user, cseq):
    lines = [
        "REGISTER sip:%s:%d SIP/2.0" % (HOST, port),
        "Via: SIP/2.0/UDP %s:%d;branch=z9hG4bK-%s;rport" % (HOST, lport, uuid.uuid4().hex[:16]),
        "Max-Forwards: 70",
        "From: <sip:%s@heapwalk.test>;tag=%s" % (user, uuid.uuid4().hex[:8]),
        "To: <sip:%s@heapwalk.test>" % user,
        "Call-ID: %s@heapwalk.test" % uuid.uuid4().hex,
        "CSeq: %d REGISTER" % cseq,
        "Contact: <sip:%s@%s:%d>;expires=3600" % (user, HOST, lport),
        "Expires: 3600",
        "Content-Length: 0",
    ]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("port", type=int)
    ap.add_argument("count", type=int)
    ap.add_argument("--timeout", type=float, default=20.0)
    ap.add_argument("--tag", default=uuid.uuid4().hex[:6])
    a = ap.parse_args()
    count = max(1, min(a.count, 1000))
    deadline = time.monotonic() + max(0.5, min(a.timeout, 60.0))
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind((HOST, 0))
    lport = sock.getsockname()[1]
    ok = 0
    for i in range(count):
        sock.sendto(register(a.port, lport, "%s-%d" % (a.tag, i), i + 1), (HOST, a.port))
        # one at a time: each is stored before the next is sent
        while time.monotonic() < deadline:
            sock.settimeout(max(0.01, deadline - time.monotonic()))
            try:
                data, _ = sock.recvfrom(65535)
            except socket.timeout:
                break
            if data.startswith(b"SIP/2.0 200"):
                ok += 1
                break
            if data.startswith(b"SIP/2.0 ") and not data.startswith(b"SIP/2.0 1"):
                break
    sock.close()
    print("sipreg: %d REGISTERs, %d answered 200" % (count, ok))
    return 0 if ok == count else 1


if __name__ == "__main__":
    sys.exit(main())
