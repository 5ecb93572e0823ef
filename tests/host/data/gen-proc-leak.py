#!/usr/bin/env python3
# gen-proc-leak.py - writes proc-leak/, a saved /proc of a host short of memory:
# one Kamailio instance (pid 4100, -m 64 -M 16) whose shm has been nearly full
# and one of whose workers (4101) grew 1.5 GiB outside the pools (system
# malloc in [heap]), and a second instance (pid 5200, default sizes) seen
# without the right to read its smaps: smaps_rollup and status for the main
# process, status only for its child. No slabinfo (not readable as non-root).
# The mapping list follows a real Debian 12 kamailio 5.6.3 process.
import os
import sys

KB = 1024
MB = 1024 * KB
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'proc-leak')

FIELDS = ['Size', 'KernelPageSize', 'MMUPageSize', 'Rss', 'Pss', 'Pss_Dirty', 'Shared_Clean',
          'Shared_Dirty', 'Private_Clean', 'Private_Dirty', 'Referenced', 'Anonymous', 'KSM',
          'LazyFree', 'AnonHugePages', 'ShmemPmdMapped', 'FilePmdMapped', 'Shared_Hugetlb',
          'Private_Hugetlb', 'Swap', 'SwapPss', 'Locked']


def vma(start, size, perms, off, dev, ino, path, rss, pss, anon=False, shared=False, swap=0):
    return dict(start=start, end=start + size, perms=perms, off=off, dev=dev, ino=ino,
                path=path, rss=rss, pss=pss, anon=anon, shared=shared, swap=swap)


def smaps_text(vs):
    out = []
    for v in vs:
        out.append('%x-%x %s %08x %s %d%s' % (v['start'], v['end'], v['perms'], v['off'],
                                             v['dev'], v['ino'],
                                             (' ' * 26 + v['path']) if v['path'] else ''))
        rss, pss = v['rss'] // KB, v['pss'] // KB
        sh = rss if v['shared'] or pss < rss else 0
        f = dict.fromkeys(FIELDS, 0)
        f.update(Size=(v['end'] - v['start']) // KB, KernelPageSize=4, MMUPageSize=4, Rss=rss,
                 Pss=pss, Pss_Dirty=pss if 'w' in v['perms'] else 0, Referenced=rss,
                 Anonymous=rss if v['anon'] else 0, Swap=v['swap'] // KB,
                 SwapPss=v['swap'] // KB)
        if 'w' in v['perms']:
            f['Shared_Dirty'], f['Private_Dirty'] = sh, rss - sh
        else:
            f['Shared_Clean'], f['Private_Clean'] = sh, rss - sh
        for k in FIELDS:
            out.append('%-16s%8d kB' % (k + ':', f[k]))
        out.append('VmFlags: rd%s%s mr mw me%s' % (' wr' if 'w' in v['perms'] else '',
                                                  ' ex' if 'x' in v['perms'] else '',
                                                  ' sh' if v['shared'] else ' ac'))
    return '\n'.join(out) + '\n'


def classify(v):
    if v['path'].startswith('/dev/zero'):
        return 'shm'
    if v['path'] in ('', '[heap]', '[stack]'):
        return 'anon'
    return 'file'


def rollup_text(vs):
    s = lambda key, pick=None: sum(v[key] for v in vs if pick is None or classify(v) == pick) // KB
    lines = [('Rss', s('rss')), ('Pss', s('pss')), ('Pss_Dirty', s('pss')),
             ('Pss_Anon', s('pss', 'anon')), ('Pss_File', s('pss', 'file')),
             ('Pss_Shmem', s('pss', 'shm')), ('Swap', s('swap')), ('SwapPss', s('swap'))]
    lo = min(v['start'] for v in vs)
    hi = max(v['end'] for v in vs)
    return ('%012x-%012x ---p 00000000 00:00 0%s[rollup]\n' % (lo, hi, ' ' * 26) +
            ''.join('%-16s%8d kB\n' % (k + ':', n) for k, n in lines))


def status_text(name, pid, ppid, vs=None, rss=None):
    if vs is not None:
        part = lambda p: sum(v['rss'] for v in vs if classify(v) == p) // KB
        anon, fil, shm = part('anon'), part('file'), part('shm')
    else:
        anon, fil, shm = rss
    total = anon + fil + shm
    return ('Name:\t%s\nUmask:\t0022\nState:\tS (sleeping)\nTgid:\t%d\nNgid:\t0\nPid:\t%d\n'
            'PPid:\t%d\nTracerPid:\t0\nUid:\t113\t113\t113\t113\nGid:\t121\t121\t121\t121\n'
            'FDSize:\t64\nGroups:\t121 \nVmPeak:\t%8d kB\nVmSize:\t%8d kB\nVmLck:\t       0 kB\n'
            'VmPin:\t       0 kB\nVmHWM:\t%8d kB\nVmRSS:\t%8d kB\nRssAnon:\t%8d kB\n'
            'RssFile:\t%8d kB\nRssShmem:\t%8d kB\nVmSwap:\t       0 kB\nThreads:\t1\n'
            % (name, pid, pid, ppid, total * 2 + 20000, total * 2 + 20000, total, total, anon,
               fil, shm))


def kamailio_a(pid, heap_rss, pkg_rss, shm_pss):
    exe = '/usr/sbin/kamailio'
    libc = '/usr/lib/x86_64-linux-gnu/libc.so.6'
    base, lib = 0x55d0c1a00000, 0x7f4c3e200000
    return [
        vma(base, 0x1b6000, 'r--p', 0, '08:01', 1311833, exe, 1200 * KB, 400 * KB),
        vma(base + 0x1b6000, 0x33e000, 'r-xp', 0x1b6000, '08:01', 1311833, exe, 2100 * KB,
            700 * KB),
        vma(base + 0x4f4000, 0x15c000, 'r--p', 0x4f4000, '08:01', 1311833, exe, 600 * KB,
            200 * KB),
        vma(base + 0x650000, 0x12000, 'r--p', 0x650000, '08:01', 1311833, exe, 72 * KB,
            24 * KB),
        vma(base + 0x662000, 0x2b000, 'rw-p', 0x662000, '08:01', 1311833, exe, 172 * KB,
            100 * KB),
        vma(base + 0x68d000, 0xe6000, 'rw-p', 0, '00:00', 0, '', 180 * KB, 60 * KB, anon=True),
        vma(0x55d0c3000000, 0x60000000 + 0x21000, 'rw-p', 0, '00:00', 0, '[heap]', heap_rss,
            heap_rss, anon=True),
        vma(0x7f4c30000000, 64 * MB, 'rw-s', 0, '00:01', 4121, '/dev/zero (deleted)',
            61 * MB, shm_pss, shared=True),
        vma(0x7f4c34400000, 16 * MB + 0x15000, 'rw-p', 0, '00:00', 0, '', pkg_rss, pkg_rss,
            anon=True),
        vma(lib, 0x28000, 'r--p', 0, '08:01', 1317890, libc, 160 * KB, 20 * KB),
        vma(lib + 0x28000, 0x155000, 'r-xp', 0x28000, '08:01', 1317890, libc, 1000 * KB,
            110 * KB),
        vma(lib + 0x17d000, 0x58000, 'r--p', 0x17d000, '08:01', 1317890, libc, 200 * KB,
            25 * KB),
        vma(lib + 0x1d5000, 0x4000, 'r--p', 0x1d4000, '08:01', 1317890, libc, 16 * KB, 16 * KB),
        vma(lib + 0x1d9000, 0x2000, 'rw-p', 0x1d8000, '08:01', 1317890, libc, 8 * KB, 8 * KB),
        vma(0x7ffd5a3c0000, 0x21000, 'rw-p', 0, '00:00', 0, '[stack]', 36 * KB, 36 * KB,
            anon=True),
        vma(0x7ffd5a3f6000, 0x2000, 'r-xp', 0, '00:00', 0, '[vdso]', 8 * KB, 0),
    ]


def write(rel, text, mode='w'):
    path = os.path.join(OUT, rel)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, mode) as f:
        f.write(text)


def main():
    write('meminfo', ''.join(('%-16s%8d\n' if k.startswith('HugePages_') else
                              '%-16s%8d kB\n') % (k + ':', v) for k, v in [
        ('MemTotal', 8040516), ('MemFree', 184320), ('MemAvailable', 532480),
        ('Buffers', 30720), ('Cached', 624640), ('SwapCached', 61440), ('Active', 6553600),
        ('Inactive', 890880), ('Active(anon)', 6348800), ('Inactive(anon)', 409600),
        ('Active(file)', 204800), ('Inactive(file)', 481280), ('Unevictable', 0),
        ('Mlocked', 0), ('SwapTotal', 2097148), ('SwapFree', 1126400), ('Zswap', 0),
        ('Zswapped', 0), ('Dirty', 1024), ('Writeback', 0), ('AnonPages', 6912000),
        ('Mapped', 143360), ('Shmem', 143360), ('KReclaimable', 122880), ('Slab', 256000),
        ('SReclaimable', 122880), ('SUnreclaim', 133120), ('KernelStack', 5632),
        ('PageTables', 30720), ('SecPageTables', 0), ('NFS_Unstable', 0), ('Bounce', 0),
        ('WritebackTmp', 0), ('CommitLimit', 6117404), ('Committed_AS', 9961472),
        ('VmallocTotal', 34359738367), ('VmallocUsed', 24576), ('VmallocChunk', 0),
        ('Percpu', 2400), ('HardwareCorrupted', 0), ('AnonHugePages', 0),
        ('ShmemHugePages', 0), ('ShmemPmdMapped', 0), ('FileHugePages', 0),
        ('FilePmdMapped', 0), ('HugePages_Total', 0), ('HugePages_Free', 0),
        ('HugePages_Rsvd', 0), ('HugePages_Surp', 0), ('Hugepagesize', 2048),
        ('Hugetlb', 0), ('DirectMap4k', 210944), ('DirectMap2M', 8177664)]))
    cmd_a = b'\0'.join([b'/usr/sbin/kamailio', b'-P', b'/run/kamailio/kamailio.pid', b'-f',
                        b'/etc/kamailio/kamailio.cfg', b'-m', b'64', b'-M', b'16', b'-u',
                        b'kamailio', b'-g', b'kamailio']) + b'\0'
    shm_pss = 61 * MB // 3
    for pid, heap, pkg in ((4100, 24 * MB, 6 * MB), (4101, 1536 * MB, 14 * MB),
                           (4102, 30 * MB, 9 * MB)):
        vs = kamailio_a(pid, heap, pkg, shm_pss)
        write('%d/smaps' % pid, smaps_text(vs))
        write('%d/maps' % pid, ''.join(l + '\n' for l in smaps_text(vs).splitlines()
                                       if '-' in l.split(' ')[0]))
        write('%d/smaps_rollup' % pid, rollup_text(vs))
        write('%d/status' % pid, status_text('kamailio', pid, 1 if pid == 4100 else 4100, vs))
        write('%d/cmdline' % pid, cmd_a, 'wb')
    # instance B: smaps unreadable (here: absent)
    cmd_b = b'\0'.join([b'/usr/local/sbin/kamailio', b'-f', b'/etc/kamailio/b.cfg', b'-DD',
                        b'-E']) + b'\0'
    vs_b = kamailio_a(5200, 40 * MB, 5 * MB, 8 * MB)
    write('5200/smaps_rollup', rollup_text(vs_b))
    write('5200/status', status_text('kamailio', 5200, 1, vs_b))
    write('5200/cmdline', cmd_b, 'wb')
    write('5201/status', status_text('kamailio', 5201, 5200, rss=(9000, 3100, 2900)))
    write('5201/cmdline', cmd_b, 'wb')
    # other processes: not Kamailio
    write('1/status', status_text('systemd', 1, 0, rss=(4000, 8000, 0)))
    write('1/cmdline', b'/sbin/init\0', 'wb')
    write('812/status', status_text('rtpengine', 812, 1, rss=(90000, 6000, 0)))
    write('812/cmdline', b'/usr/bin/rtpengine\0--config-file\0/etc/rtpengine.conf\0', 'wb')
    return 0


if __name__ == '__main__':
    sys.exit(main())
