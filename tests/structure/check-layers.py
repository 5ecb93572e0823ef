#!/usr/bin/env python3
"""check-layers.py - the structure heapwalk holds itself to (README "Layers").

Fails on:
  - an #include that goes up the layers: a file of walker/LAYER/ or a header
    of include/heapwalk/ including a public header of a higher layer;
  - an #include of a .c file, or of another layer's private header;
  - HW_FMT_JSON in walker/ outside walker/report/ (formats are the
    formatters' business; commands declare theirs in the command table);
  - a particular memory manager named outside walker/alloc/ and
    walker/layout/ (its functions, its allocator object, its name as a
    string, its gdb id): callers ask the allocator's ops instead;
  - a formatter (walker/report/) reading the target's memory (hw_mem_*,
    hw_target_read*, hw_target_symbol): it prints the model it is given;
  - a walker/cli/ file over CLI_FILE_MAX (300) lines, or walker/cli/ over
    CLI_TOTAL_MAX lines in all.

Usage: check-layers.py SOURCE_ROOT
       check-layers.py --self-test   (each rule on a small tree that breaks it)
"""
import os
import re
import sys

# Bottom up. host reads /proc and ELF symbols (target) and nothing above.
LAYERS = ['base', 'target', 'host', 'debuginfo', 'layout', 'alloc', 'analysis',
          'session', 'report', 'cli']

# Which layer each public header belongs to.
HEADERS = {
    'error.h': 'base', 'sbuf.h': 'base', 'array.h': 'base', 'exit.h': 'base', 'json.h': 'base', 'check.h': 'base',
    'mem.h': 'target', 'target.h': 'target', 'elfsym.h': 'target', 'snapshot.h': 'target',
    'host.h': 'host',
    'debuginfo.h': 'debuginfo',
    'layout.h': 'layout', 'pool.h': 'layout',
    'alloc.h': 'alloc', 'tally.h': 'alloc',
    'toy_layout.h': 'layout',
    'classify.h': 'analysis', 'diagnose.h': 'analysis', 'diff.h': 'analysis',
    'frag.h': 'analysis', 'heapmap.h': 'analysis', 'jsonin.h': 'analysis',
    'locate.h': 'analysis', 'refs.h': 'analysis', 'sites.h': 'analysis',
    'growth.h': 'analysis', 'persist.h': 'analysis', 'backtrace.h': 'analysis',
    'model.h': 'session', 'session.h': 'session', 'instance.h': 'session',
    'report.h': 'report', 'multi.h': 'report', 'gdb_emit.h': 'report', 'cmdtab.h': 'report',
}

# Files where a rule does not hold yet, and why. Keep this short.
EXEMPT_FMT = set()

CLI_FILE_MAX = int(os.environ.get('CLI_FILE_MAX', 300))
# README "Layout of the source": what computes lives below the CLI.
CLI_TOTAL_MAX = int(os.environ.get('CLI_TOTAL_MAX', 2500))

INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"')
# A particular manager: the layers that know them are alloc and layout.
MANAGER = re.compile(r'\bhw_(?:qm|fm|tlsf|toy)_[a-z]\w*|\bhw_allocator_(?:qm|fm|tlsf|toy)\b'
                     r'|"(?:qm|fm|tlsf|toy|q_malloc|f_malloc|tlsf_malloc)"|\bgdb_id\s*[=!]=')
MANAGER_LAYERS = ('alloc', 'layout')
# Reading the target's memory: never in a formatter.
TARGET_READ = re.compile(r'\bhw_mem_(?:read|peek)\w*\s*\(|\bhw_target_(?:read\w*|symbol)\s*\(')


def rank(layer):
    return LAYERS.index(layer)


def check(root):
    problems = []
    inc_dir = os.path.join(root, 'include', 'heapwalk')
    walker = os.path.join(root, 'walker')

    for h in sorted(os.listdir(inc_dir)):
        if h.endswith('.h') and h not in HEADERS:
            problems.append(f'include/heapwalk/{h}: not assigned to a layer '
                            '(add it to HEADERS in tests/structure/check-layers.py)')

    files = []
    for h in sorted(os.listdir(inc_dir)):
        if h in HEADERS:
            files.append((os.path.join(inc_dir, h), f'include/heapwalk/{h}', HEADERS[h]))
    for layer in sorted(os.listdir(walker)):
        d = os.path.join(walker, layer)
        if not os.path.isdir(d):
            continue
        if layer not in LAYERS:
            problems.append(f'walker/{layer}/: not a layer (add it to LAYERS)')
            continue
        for f in sorted(os.listdir(d)):
            if f.endswith(('.c', '.h')):
                files.append((os.path.join(d, f), f'walker/{layer}/{f}', layer))

    cli_total = 0
    for path, name, layer in files:
        with open(path, encoding='utf-8', errors='replace') as fh:
            lines = fh.readlines()
        for no, line in enumerate(lines, 1):
            m = INCLUDE.match(line)
            if m:
                target = m.group(1)
                if target.endswith('.c'):
                    problems.append(f'{name}:{no}: includes a .c file ({target})')
                elif target.startswith('heapwalk/'):
                    h = target[len('heapwalk/'):]
                    other = HEADERS.get(h)
                    if other is None:
                        problems.append(f'{name}:{no}: includes unknown header {target}')
                    elif rank(other) > rank(layer):
                        problems.append(f'{name}:{no}: {layer} includes {target} '
                                        f'of the higher layer {other}')
                elif '/' in target or name.startswith('include/'):
                    problems.append(f'{name}:{no}: includes {target} from outside its layer')
            if ('HW_FMT_JSON' in line and name.startswith('walker/')
                    and layer != 'report' and name not in EXEMPT_FMT):
                problems.append(f'{name}:{no}: HW_FMT_JSON outside walker/report/')
            tr = TARGET_READ.search(line)
            if tr and layer == 'report':
                problems.append(f'{name}:{no}: a formatter reads the target ({tr.group(0)})')
            mm = MANAGER.search(line)
            if mm and layer not in MANAGER_LAYERS:
                problems.append(f'{name}:{no}: names a particular manager ({mm.group(0)}) '
                                'outside walker/alloc/ and walker/layout/')
        if layer == 'cli':
            cli_total += len(lines)
            if len(lines) > CLI_FILE_MAX:
                problems.append(f'{name}: {len(lines)} lines, more than {CLI_FILE_MAX}')
    if cli_total > CLI_TOTAL_MAX:
        problems.append(f'walker/cli/: {cli_total} lines in all, more than {CLI_TOTAL_MAX}')

    return problems, len(files), cli_total


def self_test():
    """Each rule on a tree made to break it: the check must say so."""
    import tempfile
    cases = {
        'of the higher layer': ('walker/target/x.c', '#include "heapwalk/session.h"\n'),
        'a .c file': ('walker/session/x.c', '#include "y.c"\n'),
        'HW_FMT_JSON': ('walker/session/x.c', 'int f(int x) { return x == HW_FMT_JSON; }\n'),
        'a particular manager': ('walker/session/x.c', 'int f(void) { return hw_qm_walk(); }\n'),
        'a formatter reads the target': ('walker/report/x.c',
                                         'int f(void) { return hw_target_read_u32(t, a, &v); }\n'),
        'more than': ('walker/cli/x.c', 'int x;\n' * (CLI_FILE_MAX + 1)),
        'not a layer': ('walker/gui/x.c', 'int x;\n'),
        'not assigned to a layer': ('include/heapwalk/new.h', 'int x;\n'),
    }
    failed = 0
    for what, (path, text) in cases.items():
        with tempfile.TemporaryDirectory() as root:
            for d in ('include/heapwalk', 'walker/target', 'walker/session', 'walker/report',
                      'walker/cli'):
                os.makedirs(os.path.join(root, d), exist_ok=True)
            for h in ('session.h', 'target.h'):
                open(os.path.join(root, 'include/heapwalk', h), 'w').close()
            os.makedirs(os.path.dirname(os.path.join(root, path)), exist_ok=True)
            with open(os.path.join(root, path), 'w') as fh:
                fh.write(text)
            problems = check(root)[0]
            if not any(what in p for p in problems):
                print(f'self-test: a tree with {what!r} passed the check ({problems})')
                failed += 1
    # and a clean tree passes
    with tempfile.TemporaryDirectory() as root:
        os.makedirs(os.path.join(root, 'include/heapwalk'))
        os.makedirs(os.path.join(root, 'walker/session'))
        with open(os.path.join(root, 'walker/session/x.c'), 'w') as fh:
            fh.write('#include "heapwalk/target.h"\nint f(const struct a *a) { return a->ops(); }\n')
        open(os.path.join(root, 'include/heapwalk/target.h'), 'w').close()
        if check(root)[0]:
            print(f'self-test: a clean tree failed the check: {check(root)[0]}')
            failed += 1
    print(f'self-test: {len(cases) + 1 - failed} of {len(cases) + 1} cases as expected')
    return 1 if failed else 0


def main():
    if len(sys.argv) > 1 and sys.argv[1] == '--self-test':
        return self_test()
    problems, nfiles, cli_total = check(sys.argv[1] if len(sys.argv) > 1 else '.')
    for p in problems:
        print(p)
    print(f'{nfiles} files checked; walker/cli/ has {cli_total} lines; '
          f'{len(problems)} problem(s)')
    return 1 if problems else 0


if __name__ == '__main__':
    sys.exit(main())
