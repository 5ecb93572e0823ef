#!/usr/bin/env python3
"""ptyrun.py - run a command with its stdout and stderr on a pseudo-terminal.

usage: ptyrun.py OUT COMMAND [ARGS...]
Everything the command writes to the terminal goes to the file OUT as it
comes (carriage returns removed); ptyrun exits with the command's exit code. stdin stays as
given, so the command sees a terminal only where a person would.
"""
import errno
import os
import pty
import subprocess
import sys

out_path, argv = sys.argv[1], sys.argv[2:]
master, slave = pty.openpty()
proc = subprocess.Popen(argv, stdout=slave, stderr=slave, close_fds=True)
os.close(slave)
with open(out_path, "wb", buffering=0) as out:  # as it comes: a test may wait for a line
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError as e:  # EIO: the command closed its side of the terminal
            if e.errno != errno.EIO:
                raise
            break
        if not chunk:
            break
        out.write(chunk.replace(b"\r", b""))
os.close(master)
rc = proc.wait()
sys.exit(rc if rc >= 0 else 128 - rc)
