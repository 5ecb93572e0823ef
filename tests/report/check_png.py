#!/usr/bin/env python3
"""check_png.py - a PNG has the expected width and is not blank (plain zlib, no imaging library).

usage: check_png.py FILE.png WIDTH MIN_HEIGHT [FREE_RGB]
With FREE_RGB (e.g. e8e8e8) also checks that, on some row, a pixel of that colour
lies between two pixels of other, saturated colours: holes between used memory.
"""
import struct
import sys
import zlib

data = open(sys.argv[1], "rb").read()
assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
pos, idat, ihdr = 8, b"", None
while pos < len(data):
    n, typ = struct.unpack(">I4s", data[pos:pos + 8])
    chunk = data[pos + 8:pos + 8 + n]
    if typ == b"IHDR":
        ihdr = struct.unpack(">IIBBBBB", chunk)
    elif typ == b"IDAT":
        idat += chunk
    pos += 12 + n
w, h, depth, ctype = ihdr[0], ihdr[1], ihdr[2], ihdr[3]
assert w == int(sys.argv[2]), ("width", w)
assert h >= int(sys.argv[3]), ("height", h)
assert depth == 8 and ctype in (2, 6), ("format", depth, ctype)
bpp = 3 if ctype == 2 else 4
raw = zlib.decompress(idat)
stride = w * bpp
rows, prev = [], bytearray(stride)
for y in range(h):
    f = raw[y * (stride + 1)]
    line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
    for i in range(stride):
        a = line[i - bpp] if i >= bpp else 0
        b = prev[i]
        c = prev[i - bpp] if i >= bpp else 0
        if f == 1:
            line[i] = (line[i] + a) & 255
        elif f == 2:
            line[i] = (line[i] + b) & 255
        elif f == 3:
            line[i] = (line[i] + (a + b) // 2) & 255
        elif f == 4:
            p = a + b - c
            pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
            line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
    rows.append(bytes(line))
    prev = line
colours = set()
for line in rows[::7]:
    for x in range(0, stride, bpp * 5):
        colours.add(line[x:x + 3])
assert len(colours) > 8, ("blank page", len(colours))
if len(sys.argv) > 4:
    free = bytes.fromhex(sys.argv[4])
    sat = lambda px: max(px) - min(px) > 60
    found = 0
    for line in rows:
        px = [line[x:x + 3] for x in range(0, stride, bpp)]
        state = 0  # 0: none, 1: saw used, 2: saw free after used
        for p in px:
            if sat(p):
                if state == 2:
                    found += 1
                state = 1
            elif p == free and state >= 1:
                state = 2
    assert found > 0, "no free colour between used colours"
    print("holes visible: %d free runs between used memory" % found)
print("png %dx%d, %d colours sampled" % (w, h, len(colours)))
