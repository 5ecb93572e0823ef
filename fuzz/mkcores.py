#!/usr/bin/env python3
"""mkcores.py - small ELF core files (LP64 and ILP32) as seeds for the core-reader harness.

Each core has a PT_NOTE (NT_PRSTATUS, NT_PRPSINFO, NT_AUXV, NT_FILE) and a few
PT_LOADs: one saved whole, one with p_filesz < p_memsz, one naming a file the
core does not save. Others name the files of the harnesses' sysroot (fuzz.h:
hw_fuzz_sysroot) under many spellings (//, /./, .., symlinks, " (deleted)"),
and in thousands of entries, more distinct files than one core may open.
Written from the ELF and core-note formats, nothing copied.
usage: mkcores.py DIR
"""
import os
import struct
import sys

NT_PRSTATUS, NT_PRPSINFO, NT_AUXV, NT_FILE = 1, 3, 6, 0x46494C45


def note(name, ntype, desc, align=4):
    n = name.encode() + b"\0"
    pad = lambda b: b + b"\0" * ((-len(b)) % align)
    return struct.pack("<III", len(n), len(desc), ntype) + pad(n) + pad(desc)


def core(bits, loads, files, truncate=None):
    w = 8 if bits == 64 else 4
    word = "<Q" if w == 8 else "<I"
    ehsize, phentsize = (64, 56) if w == 8 else (52, 32)
    prstatus = bytearray(336 if w == 8 else 144)
    struct.pack_into("<i", prstatus, 32 if w == 8 else 24, 4242)  # pr_pid
    prpsinfo = bytearray(136 if w == 8 else 124)
    fname_off = 40 if w == 8 else 28
    prpsinfo[fname_off:fname_off + 9] = b"kamailio\0"
    prpsinfo[fname_off + 16:fname_off + 16 + 20] = b"/usr/sbin/kamailio\0\0"
    auxv = b"".join(struct.pack(word * 2 if False else ("<QQ" if w == 8 else "<II"), k, v)
                    for k, v in [(3, loads[0][0] + 64), (9, loads[0][0] + 0x100),
                                 (31, loads[0][0] + 0x200), (0, 0)])
    fdesc = struct.pack("<QQ" if w == 8 else "<II", len(files), 4096)
    for start, end, off, _ in files:
        fdesc += struct.pack("<QQQ" if w == 8 else "<III", start, end, off)
    fdesc += b"".join(p.encode() + b"\0" for _, _, _, p in files)
    notes = (note("CORE", NT_PRSTATUS, bytes(prstatus)) + note("CORE", NT_PRPSINFO, bytes(prpsinfo))
             + note("CORE", NT_AUXV, auxv) + note("CORE", NT_FILE, fdesc))
    phnum = 1 + len(loads)
    off = ehsize + phnum * phentsize
    data = bytearray()
    phdrs = []
    notes_off = off
    data += notes
    off += len(notes)
    for vaddr, content, memsz, flags in loads:
        phdrs.append((1, flags, off, vaddr, len(content), memsz))
        data += content
        off += len(content)
    ident = b"\x7fELF" + bytes([2 if w == 8 else 1, 1, 1, 0]) + b"\0" * 8
    if w == 8:
        eh = ident + struct.pack("<HHIQQQIHHHHHH", 4, 62, 1, 0, ehsize, 0, 0, ehsize,
                                 phentsize, phnum, 0, 0, 0)
    else:
        eh = ident + struct.pack("<HHIIIIIHHHHHH", 4, 3, 1, 0, ehsize, 0, 0, ehsize,
                                 phentsize, phnum, 0, 0, 0)
    ph = b""
    allph = [(4, 4, notes_off, 0, len(notes), len(notes))] + phdrs
    for t, fl, o, va, fs, ms in allph:
        if w == 8:
            ph += struct.pack("<IIQQQQQQ", t, fl, o, va, 0, fs, ms, 1 if t == 4 else 4096)
        else:
            ph += struct.pack("<IIIIIIII", t, o, va, 0, fs, ms, fl, 1 if t == 4 else 4096)
    out = eh + ph + bytes(data)
    return out[:truncate] if truncate else out


LIB = "/usr/lib/x86_64-linux-gnu/"
# the same executable spelled many ways, and the other files of the sysroot
SPELLINGS = ["/usr/sbin/kamailio", "/usr//sbin/kamailio", "/usr/./sbin/kamailio",
             "/usr/sbin/./kamailio", "//usr/sbin//kamailio/", "/usr/sbin/../sbin/kamailio",
             "/lib/../sbin/kamailio", "/usr/lib/../sbin/kamailio", LIB + "libc.so.6",
             LIB + "libm.so.6", "/lib/x86_64-linux-gnu/libc.so.6", "/usr/sbin/kamailio (deleted)",
             "usr/sbin/kamailio", "/usr/sbin/kamailio/.", "/usr/sbin/kamailio\x1b[31m"]
OTHERS = [LIB + "kamailio/modules/tm.so", "/lib/x86_64-linux-gnu/kamailio/modules/tm.so",
          LIB + "escape.so", LIB + "self.so", LIB + "loop.so", LIB + "notelf.so",
          LIB + "empty.so", LIB + "dir.so", LIB + "missing.so", "/proc/self/exe", "/"]


def aliases(base, count, many=0):
    """@count NT_FILE entries cycling through the spellings, then @many distinct files."""
    paths = SPELLINGS + OTHERS
    files = []
    for i in range(count):
        p = paths[i % len(paths)]
        if i >= len(paths):
            # longer spellings of the same path: more // and /./
            k = i // len(paths)
            p = p.replace("/usr/", "/usr" + "/." * (k % 7) + "/" * (k % 3) + "/", 1)
        files.append((base + 0x1000 * i, base + 0x1000 * (i + 1), i % 3, p))
    for i in range(many):
        files.append((base + 0x1000 * (count + i), base + 0x1000 * (count + i + 1), 0,
                      "/lib/many/%d" % i))
    return files


def main():
    d = sys.argv[1]
    os.makedirs(d, exist_ok=True)
    n = 0
    for bits in (64, 32):
        base = 0x555555554000 if bits == 64 else 0x56555000
        heap = 0x7f0000100000 if bits == 64 else 0x40100000
        text = bytes(range(256)) * 2
        words = b"".join(struct.pack("<Q" if bits == 64 else "<I", heap + 16 * i) for i in range(32))
        loads = [(base, text, 4096, 5), (base + 0x2000, words, 8192, 6), (heap, words * 4, 65536, 6)]
        files = [(base, base + 0x1000, 0, "/usr/sbin/kamailio"),
                 (base + 0x2000, base + 0x3000, 2, "/usr/lib/x86_64-linux-gnu/kamailio/modules/tm.so")]
        variants = [core(bits, loads, files), core(bits, loads, []),
                    core(bits, loads, files, truncate=400), core(bits, loads[:1], files),
                    core(bits, loads, aliases(base, 26))]
        if bits == 64:
            variants += [core(bits, loads, aliases(base, 2000)),
                         core(bits, loads, aliases(base, 40, many=600))]
        for v in variants:
            with open(os.path.join(d, "core-%d" % n), "wb") as f:
                f.write(v)
            n += 1
    print("%d core seeds" % n)


if __name__ == "__main__":
    main()
