#!/usr/bin/env python3
"""corrupt.py - copies of a real core damaged one way at a time; 'heapwalk check'
must name the damage at the right address, walk on past it where it can,
exit 1, and never crash or hang (each run bounded with timeout).

usage: corrupt.py HEAPWALK CORE EXE POOL WORKDIR

The damage is placed from heapwalk's own view of the intact core (frags and
layout as JSON), then written into a copy with corelib.Core.
"""
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from corelib import Core  # noqa: E402

HW, CORE, EXE, POOL, WORK = sys.argv[1:6]
TIMEOUT = 120
passed = failed = 0


def run(args, core, exe=True):
    cmd = ["timeout", str(TIMEOUT), HW] + args + ["--core", core]
    if exe and EXE != "-":
        cmd += ["--exe", EXE]
    p = subprocess.run(cmd, capture_output=True, text=True)
    return p.returncode, p.stdout, p.stderr


def result(name, ok, detail=""):
    global passed, failed
    if ok:
        passed += 1
        print("ok   %s" % name)
    else:
        failed += 1
        print("FAIL %s%s" % (name, ": " + detail if detail else ""))


def check_json(core, name, exe=True, extra=()):
    rc, out, err = run(["check", "--pool", POOL, "--format", "json"] + list(extra), core, exe)
    if rc >= 124:
        result(name, False, "exit %d (crash, signal or hang): %s" % (rc, err.strip()[:300]))
        return rc, None
    if rc == 70:  # heapwalk-checked: the JSON does not match doc/heapwalk.schema.json
        result(name, False, "JSON not as the schema says: %s" % err.strip()[-400:])
        return rc, None
    try:
        return rc, json.loads(out)["pools"][0]
    except (ValueError, KeyError, IndexError):
        result(name, False, "exit %d, no JSON: %s %s" % (rc, out[:200], err.strip()[:300]))
        return rc, None


def finding(pool, sev, addr, text):
    for f in pool.get("findings", []):
        if f["severity"] == sev and (addr is None or int(f["address"], 16) == addr) and text in f["message"]:
            return f
    return None


def describe(pool):
    return "; ".join("%s at %s: %s" % (f["severity"], f["address"], f["message"])
                     for f in pool.get("findings", [])[:6])


# ---- the intact core: layout, fragments, the clean check ----
rc, out, err = run(["layout", "--pool", POOL, "--format", "json"], CORE)
if rc != 0:
    print("FAIL layout of the intact core: exit %d %s" % (rc, err))
    sys.exit(1)
lay = json.loads(out)["pools"][0]
L = lay["layout"]["fields"]
MGR = lay["manager"]
BLOCK = int(lay["block"], 16)
rc, out, err = run(["frags", "--pool", POOL, "--format", "json"], CORE)
frags = json.loads(out)["pools"][0]["fragments"]
W = L["word"]
DEBUG = lay["layout"]["debug"]
rc0, clean = check_json(CORE, "intact core")
result("check of the intact core: exit 0, no errors", clean is not None and rc0 == 0 and clean["errors"] == 0,
       "exit %d: %s" % (rc0, describe(clean) if clean else ""))

if MGR == "q_malloc":
    HS, TS, SIZE_OFF, LINK_OFF = L["frag_size"], L["end_size"], L["f_size"], L["f_u"]
    ALIGN = L["roundto"]
elif MGR == "f_malloc":
    HS, TS, SIZE_OFF, LINK_OFF = L["frag_size"], 0, L["f_size"], L["f_link"]
    ALIGN = L["roundto"]
else:
    HS, TS, SIZE_OFF, LINK_OFF = L["start_offset"], 0, L["h_size"], L["h_next_free"]
    ALIGN = L["align"]


def frag_addr(f):
    return int(f["frag"], 16)


def heap_end(c):
    if MGR == "q_malloc":
        return BLOCK + c.word(BLOCK + L["b_size"])
    if MGR == "f_malloc":
        return c.word(BLOCK + L["b_last_frag"])
    return BLOCK + c.word(BLOCK + L["c_total_size"]) + L["start_offset"] - 2 * W


# a used fragment a third of the way in, with neighbours
i = len(frags) // 3
while not (frags[i]["state"] == "used" and 0 < i < len(frags) - 2):
    i += 1
U, NEXT = frags[i], frags[i + 1]
A, A_NEXT = frag_addr(U), frag_addr(NEXT)
# a free fragment (not the last one) for the list damage
F = next((f for f in frags[len(frags) // 4:] if f["state"] == "free"), None) or \
    next(f for f in frags if f["state"] == "free")
FA = frag_addr(F)
# a used fragment with a payload of 1100+ bytes, for the text without NUL
BIG = next((f for f in frags if f["state"] == "used" and f["size"] >= 1100 and f is not U), None)
print("# %s %s pool, block 0x%x: damage at fragment %d (0x%x), next 0x%x; free 0x%x" %
      (MGR, POOL, BLOCK, U["index"], A, A_NEXT, FA))

n = 0


def damaged(name, edit, truncate=None):
    global n
    n += 1
    c = Core(CORE)
    edit(c)
    path = os.path.join(WORK, "damaged-%d.core" % n)
    c.save(path, truncate)
    return path, c


def expect(name, core, sev, addr, text, resync_to=None, exit_code=1, exe=True, extra=()):
    rc, pool = check_json(core, name, exe, extra)
    if pool is None:
        return
    f = finding(pool, sev, addr, text)
    why = []
    if rc != exit_code:
        why.append("exit %d, want %d" % (rc, exit_code))
    if not f:
        why.append("no %s at 0x%x containing %r" % (sev, addr, text) if addr is not None else
                   "no %s containing %r" % (sev, text))
    if resync_to is not None:
        gaps = pool.get("skipped", [])
        if not any(int(g["to"], 16) == resync_to and int(g["from"], 16) == addr for g in gaps):
            why.append("no skipped range 0x%x-0x%x (have %s)" % (addr, resync_to, gaps))
        elif pool["frags"]["total"] < len(frags) - 2:
            why.append("walk did not go on: %d fragments of %d" % (pool["frags"]["total"], len(frags)))
    result(name, not why, "; ".join(why) + " | " + describe(pool) if why else "")


def set_size(c, a, v):
    old = c.word(a + SIZE_OFF)
    c.put_word(a + SIZE_OFF, v | (old & 3 if MGR == "tlsf_malloc" else 0))


# 1 zero size
p, _ = damaged("zero", lambda c: set_size(c, A, 0))
expect("zero size at 0x%x: reported, walk resynchronises" % A, p, "error", A,
       "size 0", resync_to=A_NEXT)
# 2 huge size
huge = (1 << (8 * W - 2)) // ALIGN * ALIGN
p, _ = damaged("huge", lambda c: set_size(c, A, huge))
expect("huge size at 0x%x: reported, walk resynchronises" % A, p, "error", A,
       "runs past the end", resync_to=A_NEXT)
# 3 a size that points just past the block
c0 = Core(CORE)
past = (heap_end(c0) - A + ALIGN) // ALIGN * ALIGN
p, _ = damaged("past", lambda c: set_size(c, A, past))
expect("size %d past the block at 0x%x: reported, walk resynchronises" % (past, A), p, "error", A,
       "runs past the end", resync_to=A_NEXT)
# 4 overwritten check patterns
if MGR == "q_malloc" and DEBUG:
    p, _ = damaged("start", lambda c: c.put_word(A + L["f_check"], 0x41414141))
    expect("start pattern overwritten at 0x%x" % A, p, "error", A,
           "start pattern 0x41414141, expected 0xf0f0f0f0")
    T = A + HS + U["size"]
    p, _ = damaged("end", lambda c: (c.put_word(T + L["e_check1"], 0x42424242),
                                     c.put_word(T + L["e_check2"], 0x43434343)))
    expect("end patterns overwritten at 0x%x" % T, p, "error", T,
           "end patterns 0x42424242, 0x43434343, expected 0xc0c0c0c0, 0xabcdefed")
elif MGR == "f_malloc" and L["f_check"] is not None:
    def put_check(c):
        o = c.offset(A + L["f_check"])
        c.b[o:o + L["f_check_size"]] = (0x41414141).to_bytes(L["f_check_size"], "little")
    p, _ = damaged("start", put_check)
    expect("check pattern overwritten at 0x%x" % A, p, "error", A,
           "start pattern 0x41414141, expected 0xf0f0f0f0")
else:
    print("# %s %s has no check patterns: that damage does not apply" % (MGR, "debug" if DEBUG else "non-debug"))
# 5 a free-list cycle: the free fragment links to itself
p, _ = damaged("cycle", lambda c: c.put_word(FA + LINK_OFF, FA))
expect("free-list cycle at 0x%x" % FA, p, "error", FA, "links back to 0x%x, already on the list" % FA)
# 6 a free-list pointer out of the block
bad = 0xdead0000 if W == 4 else 0xdeadbeef000
p, _ = damaged("outside", lambda c: c.put_word(FA + LINK_OFF, bad))
expect("free-list pointer 0x%x outside the block, at 0x%x" % (bad, FA), p, "error", FA,
       "links to 0x%x, outside the" % bad)
# 7 a truncated core: cut in the middle of the pool (the notes, last in the file, go too)
off = Core(CORE).offset(A)
p, _ = damaged("truncated", lambda c: None, truncate=off)
# the notes are gone (no load bias for the symbols): the block is given
expect("core truncated at the fragment 0x%x (with --exe --block)" % A, p, "error", A,
       "core file truncated", extra=["--block", hex(BLOCK)])
rc, out, err = run(["check", "--pool", POOL], p, exe=False)
result("truncated core without --exe: exit 1 or 2 with a message, no crash",
       rc in (1, 2) and err.strip() != "", "exit %d: %s" % (rc, err.strip()[:200]))
# 8 a PT_LOAD with p_filesz < p_memsz: the pool's tail not saved
def shrink(c):
    _i, _off, va, _fs, _ms = c.load_of(A)
    c.set_filesz(A, A - va)
p, _ = damaged("filesz", shrink)
expect("PT_LOAD p_filesz ends at 0x%x" % A, p, "error", A, "memory not saved in core file")
# 9 NT_FILE lying about a file: the executable's entry names another program
exe_in_core = json.loads(run(["info", "--pool", POOL, "--format", "json"], CORE)[1])["target"]["executable"]
liar = None
for cand in ("/bin/true", "/bin/ls", "/usr/bin/env"):
    if os.path.exists(cand) and exe_in_core and len(cand) <= len(exe_in_core):
        liar = cand
        break
if liar:
    p, _ = damaged("ntfile", lambda c: c.rename_file(exe_in_core, liar))
    rc, out, err = run(["check", "--pool", POOL], p, exe=False)
    result("NT_FILE names %s for the executable: exit 2, says which file" % liar,
           rc == 2 and liar in err, "exit %d: %s" % (rc, err.strip()[:300]))
    rc, pool = check_json(p, "NT_FILE lie, --exe given")
    if pool is not None:
        result("NT_FILE lie with --exe: the heap checks clean (exit 0)", rc == 0 and pool["errors"] == 0,
               "exit %d: %s" % (rc, describe(pool)))
    rc, out, err = run(["info", "--format", "json"], p, exe=False)
    result("NT_FILE lie: info exits 0 or 2 without crashing", rc in (0, 2), "exit %d" % rc)
else:
    print("# no other program to name in NT_FILE: that damage is not tried")
# 10 a site text without NUL: the file pointer aims at 1100 bytes of 'A'
if DEBUG and BIG and MGR != "tlsf_malloc" or (DEBUG and BIG):
    text_at = int(BIG["address"], 16)
    file_off = {"q_malloc": "f_file", "f_malloc": "f_file"}.get(MGR, "h_file")
    p, _ = damaged("nonul", lambda c: (c.put_bytes(text_at, b"A" * 1100),
                                       c.put_word(A + L[file_off], text_at)))
    expect("site text without NUL for the fragment at 0x%x" % A, p, "error", A,
           "file pointer 0x%x leads to 1024 bytes without a NUL" % text_at)
    rc, out, err = run(["frags", "--pool", POOL, "--from", str(U["index"]), "--to", str(U["index"])], p)
    result("frags prints the unterminated site text cut and sanitised", rc in (0, 1) and "AAAA" in out
           and len(max(out.splitlines(), key=len)) < 600, "exit %d" % rc)
else:
    print("# non-debug build: no site texts, that damage does not apply")
# 11 a used fragment marked free: the free lists are intact, but the walk
# finds a free fragment that none of them holds
def mark_free(c):
    if MGR == "q_malloc":
        c.put_word(A + L["f_u"], FA)
    elif MGR == "f_malloc" and L.get("f_is_free") is not None:
        o = c.offset(A + L["f_is_free"])
        c.b[o:o + L["f_is_free_size"]] = (1).to_bytes(L["f_is_free_size"], "little")
    elif MGR == "f_malloc":
        c.put_word(A + L["f_prv_free"], FA)
    else:
        c.put_word(A + SIZE_OFF, c.word(A + SIZE_OFF) | 1)


if MGR == "f_malloc" and L.get("f_is_free") is None and L.get("f_prv_free") is None:
    print("# f_malloc up to 4.1 marks no fragment free: a lost free fragment does not apply")
else:
    p, _ = damaged("lost", mark_free)
    expect("used fragment at 0x%x marked free: on no free list" % A, p, "error", A,
           "free fragment of %d bytes is on no free list" % U["size"])
# 12 an overrun: text written from the end of a used fragment's payload across the next
# fragment's header up to its size word; check and addr name the first fragment as the
# likely culprit, with the text decoded and the overrun's length
TEXT = b"sip:eu-bound.example.com;" * 12
j = len(frags) // 3
while not (0 < j < len(frags) - 2 and frags[j]["state"] == "used" and frags[j + 1]["state"] == "used"):
    j += 1
OA, OB = frags[j], frags[j + 1]
PE = int(OA["address"], 16) + OA["size"]
OBF = frag_addr(OB)
N = OBF + SIZE_OFF + W - PE
OBHS = int(OB["address"], 16) - OBF


def culprit_ok(c, what):
    why = []
    if not c:
        return ["no culprit at %s" % what]
    if int(c["fragment"]["frag"], 16) != frag_addr(OA):
        why.append("culprit %s, want 0x%x" % (c["fragment"]["frag"], frag_addr(OA)))
    # the text stops where it was written unless it reaches the next payload
    if c["length"] != N or c["at_least"] != (PE + N >= OBF + OBHS):
        why.append("length %d (at least: %s), want %d" % (c["length"], c["at_least"], N))
    if DEBUG and (c["fragment"].get("func") != OA["func"] or c["fragment"].get("module") != OA.get("module")):
        why.append("culprit site %s/%s, want %s/%s" % (c["fragment"].get("func"), c["fragment"].get("module"),
                                                       OA["func"], OA.get("module")))
    if not c["tail"]["text"].endswith(TEXT[:8].decode()):
        why.append("tail %r does not end in the text" % c["tail"]["text"])
    return why


# q_malloc without patterns doubts a header its trailer contradicts: it skips from the
# first fragment, and reports the damage there
AT = frag_addr(OA) if MGR == "q_malloc" and not DEBUG else OBF
p, _ = damaged("overrun", lambda c: c.put_bytes(PE - 8, TEXT[:8 + N]))
rc, pool = check_json(p, "overrun")
if pool is not None:
    f = next((x for x in pool["findings"] if int(x["address"], 16) == AT and x["severity"] == "error"
              and x.get("culprit")), None)
    why = ["no error with a culprit at 0x%x" % AT] if not f else culprit_ok(f["culprit"], "check")
    # the bytes read at the damage, as far as they are text, are the text written
    shown = bytes.fromhex(f["damaged_bytes"]["hex"]) if f else b""
    texty = shown[:next((k for k, ch in enumerate(shown) if not 0x20 <= ch < 0x7f), len(shown))]
    if f and (len(texty) < 4 or texty not in TEXT or f["damaged_bytes"]["text"][:len(texty)] != texty.decode()):
        why.append("damaged bytes %r are not the text written" % f["damaged_bytes"]["text"])
    result("overrun of %d bytes from fragment 0x%x into 0x%x: reported at 0x%x, culprit named, text decoded"
           % (N, frag_addr(OA), OBF, AT), rc == 1 and not why, "; ".join(why) + " | " + describe(pool))
    rc, out, err = run(["check", "--pool", POOL], p)
    line = "likely an overrun of %s%d bytes from fragment" % ("at least " if PE + N >= OBF + OBHS else "", N)
    result("check text: '%s ...' and the bytes as text" % line,
           rc == 1 and line in out and f and '"%s"' % f["damaged_bytes"]["text"] in out
           and (not DEBUG or OA["func"] in out), out[-1500:])
    rc, out, err = run(["addr", "--format", "json", "--pool", POOL, hex(OBF + W)], p)
    try:
        j = json.loads(out)
        why = culprit_ok(j.get("culprit"), "addr")
        result("addr in the overrun fragment's header names the culprit", rc == 0 and not why,
               "; ".join(why) + " | " + out[:400])
    except ValueError:
        result("addr in the overrun fragment's header", False, "exit %d %s" % (rc, err[:200]))
# 12b an overrun of bytes that are no text: q_malloc's debug trailer (two patterns and the
# size) still tells how far it runs
if MGR == "q_malloc" and DEBUG:
    # the trailer bytes heapwalk knows; the overrun's length: to the last of them it covers
    KNOWN = {L[k] + b for k in ("e_check1", "e_check2", "e_size") for b in range(W)}
    BLEN = max(b + 1 for b in range(12) if b in KNOWN)
    p, _ = damaged("binary-overrun", lambda c: c.put_bytes(PE, bytes(range(1, 13))))
    rc, pool = check_json(p, "binary overrun")
    if pool is not None:
        f = next((x for x in pool["findings"] if int(x["address"], 16) == PE and x.get("culprit")), None)
        c = f["culprit"] if f else None
        ok = (c is not None and int(c["fragment"]["frag"], 16) == frag_addr(OA) and c["own_trailer"]
              and c["length"] == BLEN and c["at_least"] == (BLEN not in KNOWN)
              and c["fragment"]["func"] == OA["func"]
              and bytes.fromhex(f["damaged_bytes"]["hex"])[:BLEN] == bytes(range(1, BLEN + 1)))
        result("12 bytes that are no text over the trailer at 0x%x: fragment 0x%x named, %d bytes"
               % (PE, frag_addr(OA), BLEN), rc == 1 and ok, describe(pool) + " | " + str(c)[:400])
# 13 a double free: a second free of a free fragment links it to itself on its list
# (LIFO lists; q_malloc's sorted insert before itself too); the report names the fragment
# and its free site, and says which sites are gone
for reuse in (False, True):
    if reuse and MGR == "q_malloc":
        continue  # its free link is its free flag: in use means on no list
    if reuse and MGR == "f_malloc" and L.get("f_is_free") is None:
        continue

    def double_free(c, reuse=reuse):
        c.put_word(FA + LINK_OFF, FA)
        # its owner still holds it: U's payload points into it
        c.put_word(int(U["address"], 16), int(F["address"], 16))
        if reuse and MGR == "f_malloc":
            o = c.offset(FA + L["f_is_free"])
            c.b[o:o + L["f_is_free_size"]] = bytes(L["f_is_free_size"])
        elif reuse:
            c.put_word(FA + SIZE_OFF, c.word(FA + SIZE_OFF) & ~1)

    p, _ = damaged("double-free", double_free)
    rc, pool = check_json(p, "double free")
    if pool is None:
        continue
    d = [x for x in pool["findings"] if x.get("double_free")]
    why = []
    if len(d) != 1:
        why.append("%d findings with a double free, want 1" % len(d))
    else:
        df = d[0]["double_free"]
        if int(df["fragment"]["frag"], 16) != FA or df["reused"] != reuse:
            why.append("double free of %s (reused %s)" % (df["fragment"]["frag"], df["reused"]))
        if DEBUG and not reuse and (df["fragment"]["site_kind"] != "freed" or df["fragment"]["func"] != F["func"]):
            why.append("site %s %s, want freed %s" % (df["fragment"].get("site_kind"), df["fragment"].get("func"),
                                                      F["func"]))
        h = df.get("held_by")
        if not h or int(h["frag"], 16) != A or (DEBUG and h["func"] != U["func"]):
            why.append("held by %s, want fragment 0x%x (%s)" % (h and (h["frag"], h.get("func")), A, U.get("func")))
    result("double free of 0x%x%s: the fragment, its site and the owner still holding it named"
           % (FA, " (allocated again)" if reuse else ""),
           rc == 1 and not why, "; ".join(why) + " | " + describe(pool))
    rc, out, err = run(["addr", "--format", "json", "--pool", POOL, F["address"]], p)
    try:
        df = json.loads(out).get("double_free")
        result("addr on the double-freed fragment says so, and who holds it%s"
               % (" (allocated again)" if reuse else ""),
               rc == 0 and df is not None and int(df["fragment"]["frag"], 16) == FA and df["reused"] == reuse
               and df.get("held_by") is not None and int(df["held_by"]["frag"], 16) == A,
               out[-600:])
    except ValueError:
        result("addr on the double-freed fragment", False, "exit %d %s" % (rc, err[:200]))
    if not reuse:
        rc, out, err = run(["check", "--pool", POOL], p)
        result("check text: 'likely a double free' with the free site and who still holds it",
               rc == 1 and "likely a double free: fragment" in out and "still held by: fragment %d" % U["index"] in out
               and (not DEBUG or "freed at" in out and F["func"] in out and U["func"] in out), out[-800:])
# addr on a free fragment's user address names where it was freed
rc, out, err = run(["addr", "--format", "json", "--pool", POOL, F["address"]], CORE)
try:
    j = json.loads(out)
    ok = rc == 0 and j["location"] == "fragment" and j["fragment"]["state"] == "free" and "double_free" not in j
    if DEBUG:
        ok = ok and j["fragment"]["site_kind"] == "freed" and j["fragment"]["func"] == F["func"]
    result("addr %s (a free fragment) names where it was freed (%s)" % (F["address"], F.get("func")), ok,
           out[:300])
except ValueError:
    result("addr on a free fragment", False, "exit %d %s" % (rc, err[:200]))
# addr inside the damaged range of copy 1 (zero size)
rc, out, err = run(["addr", "--format", "json", "--pool", POOL, hex(A + HS + 8)],
                   os.path.join(WORK, "damaged-1.core"))
try:
    j = json.loads(out)
    result("addr inside the skipped range names the range and its neighbours",
           j["location"] == "damaged_range" and int(j["damaged_range"]["from"], 16) == A
           and int(j["next"]["frag"], 16) == A_NEXT, out[:300])
except ValueError:
    result("addr inside a damaged range", False, "exit %d %s" % (rc, err[:200]))

print("# %d passed, %d failed" % (passed, failed))
sys.exit(1 if failed else 0)
