"""corelib.py - edit copies of ELF core files: write words at target addresses,
shrink a PT_LOAD's p_filesz, rewrite NT_FILE names. For the corrupt-heap tests;
written from the ELF format, little-endian ELFCLASS32/64 only."""
import struct


class Core:
    def __init__(self, path):
        self.path = path
        with open(path, "rb") as f:
            self.b = bytearray(f.read())
        assert self.b[:4] == b"\x7fELF", "not an ELF file"
        self.bits = 64 if self.b[4] == 2 else 32
        if self.bits == 64:
            self.phoff, = struct.unpack_from("<Q", self.b, 32)
            self.phentsize, self.phnum = struct.unpack_from("<HH", self.b, 54)
        else:
            self.phoff, = struct.unpack_from("<I", self.b, 28)
            self.phentsize, self.phnum = struct.unpack_from("<HH", self.b, 42)
        self.w = self.bits // 8

    def phdrs(self):
        """(index, type, offset, vaddr, filesz, memsz) of every program header."""
        out = []
        for i in range(self.phnum):
            o = self.phoff + i * self.phentsize
            if self.bits == 64:
                t, _fl, off, va, _pa, fs, ms = struct.unpack_from("<IIQQQQQ", self.b, o)
            else:
                t, off, va, _pa, fs, ms = struct.unpack_from("<IIIIII", self.b, o)
            out.append((i, t, off, va, fs, ms))
        return out

    def load_of(self, addr):
        for i, t, off, va, fs, ms in self.phdrs():
            if t == 1 and va <= addr < va + ms:
                return i, off, va, fs, ms
        raise KeyError("0x%x is in no PT_LOAD" % addr)

    def offset(self, addr):
        _i, off, va, fs, _ms = self.load_of(addr)
        assert addr - va < fs, "0x%x is not saved in the core" % addr
        return off + addr - va

    def word(self, addr):
        return struct.unpack_from("<Q" if self.w == 8 else "<I", self.b, self.offset(addr))[0]

    def put_word(self, addr, v):
        struct.pack_into("<Q" if self.w == 8 else "<I", self.b, self.offset(addr),
                         v & ((1 << (8 * self.w)) - 1))

    def put_bytes(self, addr, data):
        o = self.offset(addr)
        self.b[o:o + len(data)] = data

    def set_filesz(self, addr, filesz):
        """Shrink the p_filesz of the PT_LOAD holding addr (memsz stays)."""
        i, _off, _va, _fs, _ms = self.load_of(addr)
        o = self.phoff + i * self.phentsize
        if self.bits == 64:
            struct.pack_into("<Q", self.b, o + 32, filesz)
        else:
            struct.pack_into("<I", self.b, o + 16, filesz)

    def notes(self):
        """(offset of desc, type, name, desc bytes) of every note."""
        out = []
        for _i, t, off, _va, fs, _ms in self.phdrs():
            if t != 4:
                continue
            p, end = off, off + fs
            while p + 12 <= end:
                nsz, dsz, typ = struct.unpack_from("<III", self.b, p)
                name = bytes(self.b[p + 12:p + 12 + nsz]).rstrip(b"\0")
                d = p + 12 + ((nsz + 3) & ~3)
                out.append((d, typ, name, bytes(self.b[d:d + dsz])))
                p = d + ((dsz + 3) & ~3)
        return out

    def rename_file(self, old, new):
        """Replace a path in NT_FILE by another of at most the same length (NUL padded)."""
        for d, typ, name, desc in self.notes():
            if typ != 0x46494C45:
                continue
            i = desc.find(old.encode() + b"\0")
            assert i >= 0, "%s not in NT_FILE" % old
            n = new.encode()
            assert len(n) <= len(old)
            self.b[d + i:d + i + len(old)] = n + b"\0" * (len(old) - len(n))
            return
        raise KeyError("no NT_FILE note")

    def save(self, path, truncate=None):
        with open(path, "wb") as f:
            f.write(self.b if truncate is None else self.b[:truncate])
