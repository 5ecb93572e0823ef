#!/usr/bin/env python3
"""patch-core.py - write a word into a copy of an ELF core file, at a target address.

usage: patch-core.py CORE OUT ADDRESS VALUE [WORDSIZE]

Copies CORE to OUT, finds the PT_LOAD segment whose saved bytes hold
ADDRESS (hex or decimal) and stores VALUE there as a little-endian word of
WORDSIZE bytes (default 8). Exits 1 if no saved segment holds the address.
For damaging fixture heaps in tests; the fixtures are little-endian.
"""
import shutil
import struct
import sys


def load_segments(data):
    if data[:4] != b"\x7fELF":
        raise SystemExit("not an ELF file")
    is64 = data[4] == 2
    if is64:
        phoff, = struct.unpack_from("<Q", data, 0x20)
        phentsize, phnum = struct.unpack_from("<HH", data, 0x36)
    else:
        phoff, = struct.unpack_from("<I", data, 0x1C)
        phentsize, phnum = struct.unpack_from("<HH", data, 0x2A)
    segs = []
    for i in range(phnum):
        off = phoff + i * phentsize
        if is64:
            p_type, _flags, p_offset, p_vaddr, _paddr, p_filesz = struct.unpack_from(
                "<IIQQQQ", data, off)
        else:
            p_type, p_offset, p_vaddr, _paddr, p_filesz = struct.unpack_from(
                "<IIIII", data, off)
        if p_type == 1:
            segs.append((p_vaddr, p_offset, p_filesz))
    return segs


def main():
    if len(sys.argv) not in (5, 6):
        raise SystemExit(__doc__)
    core, out, addr, value = sys.argv[1], sys.argv[2], int(sys.argv[3], 0), int(sys.argv[4], 0)
    size = int(sys.argv[5]) if len(sys.argv) == 6 else 8
    with open(core, "rb") as f:
        data = f.read()
    for vaddr, offset, filesz in load_segments(data):
        if vaddr <= addr and addr + size <= vaddr + filesz:
            shutil.copyfile(core, out)
            with open(out, "r+b") as f:
                f.seek(offset + addr - vaddr)
                f.write(value.to_bytes(size, "little"))
            return
    print("no saved segment holds 0x%x" % addr, file=sys.stderr)
    sys.exit(1)


main()
