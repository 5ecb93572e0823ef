# hw-core.gdb - heapwalk's gdb commands: pool selection, layouts, and the
# hw-* commands, which hand over to the manager's walker (hw-qm.gdb,
# hw-fm.gdb, hw-tlsf.gdb, hw-hp.gdb). Sourced by heapwalk.gdb.
#
# gdb CLI only: no Python, no Guile, no convenience functions written in
# them ($_streq, $_strlen, ... are Python). Works in gdb 10 and later, on a
# core file and on a live process.
#
# How the walks are fast: gdb parses a `while` condition once per command
# and then only evaluates it, but re-parses every body line on every pass
# (and each $variable costs a lookup when parsed). So every walk does its
# per-fragment work inside the `while` condition, on raw addresses and on
# offsets resolved once ($hw_qm_*, $hw_fm_*, $hw_tlsf_*), and runs a body
# line only for a fragment it prints. Every loop is bounded: a fragment
# whose size would leave the heap stops the walk (and says so), and list
# walks stop after as many steps as the heap can hold fragments.
#
# Conventions: public commands are hw-<verb>; helpers are subcommands of
# hw-internal; all state lives in $hw_* convenience variables.
#   $hw_ok        a pool is selected and its layout known
#   $hw_pool      0 pkg, 1 shm; $hw_explicit: the block was given by address
#   $hw_block     the manager's block (qm_block, fm_block, tlsf control_t)
#   $hw_os        1 OpenSIPS (no _pkg_root; counted_max_processes), 0 Kamailio
#   $hw_mgr       1 q_malloc, 2 f_malloc, 3 tlsf, 4 hp_malloc, 5 OpenSIPS's
#                 parallel pools (0 none); the hw-* commands
#                 ask the manager with eval "hw-internal m%d-OP", $hw_mgr, a
#                 table of commands gen-gdb writes into profiles.gdb
#   $hw_forced    0 detect, 1 the profile hw-layout chose, 2 DWARF
#   $hw_layout_name, $hw_layout_src    strings, for hw-layout and hw-stats

define-prefix hw-internal
document hw-internal
(internal) Helpers of the hw-* commands; not meant to be used directly.
end

if $_isvoid($hw_ok)
  set $hw_ok = 0
  set $hw_pool = -1
  set $hw_block = 0
  set $hw_mgr = 0
  set $hw_forced = 0
  set $hw_explicit = 0
  set $hw_layout_name = "none"
  set $hw_layout_src = "none"
end
if $_isvoid($hw_os)
  set $hw_os = 0
end
if $_isvoid($hw_strings)
  set $hw_strings = 1
end
if $_isvoid($hw_stream)
  set $hw_stream = 0
end
if $_isvoid($hw_lfe_ends)
  set $hw_lfe_ends = 1
end
set $hw_chunk = 4096
# Strings for printf: a string literal in an expression needs a live
# process (gdb copies it into the inferior); convenience variables do not.
set $hw_s_used = "used"
set $hw_s_free = "free"
set $hw_s_allocd = "alloc'd"
set $hw_s_freed = "freed"
set $hw_s_freed2 = "free'd"
set $hw_s_true = "true"
set $hw_s_false = "false"
set $hw_s_header = "header"
set $hw_s_payload = "payload"
set $hw_s_trailer = "trailer"
set $hw_s_bad = "<damaged header>"
set $hw_s_lp64 = "lp64"
set $hw_s_ilp32 = "ilp32"

# gdb evaluates the right side of && once without side effects (to learn
# its type) before it decides whether to evaluate it, so every variable a
# walk condition reads must hold a value of the right kind beforehand.
define hw-internal init
  set $hw_f = (unsigned long)0
  set $hw_nx = (unsigned long)0
  set $hw_pf = (unsigned long)0
  set $hw_u = (unsigned long)0
  set $hw_x = (unsigned long)0
  set $hw_head = (unsigned long)0
  set $hw_sz = (unsigned long)0
  set $hw_ck = (unsigned long)0
  set $hw_c1 = (unsigned long)0
  set $hw_c2 = (unsigned long)0
  set $hw_ln = (unsigned long)0
  set $hw_fi = (char *)0
  set $hw_fu = (char *)0
  set $hw_i = (long long)0
  set $hw_c = (long long)0
  set $hw_h = (long long)0
  set $hw_nu = (long long)0
  set $hw_nf = (long long)0
  set $hw_bu = (unsigned long long)0
  set $hw_bf = (unsigned long long)0
  set $hw_p = 0
  set $hw_ow = 0
  set $hw_bad = 0
  set $hw_lbad = 0
  set $hw_fin = 0
  set $hw_stop = (unsigned long)0
  set $hw_st = $hw_s_used
end
document hw-internal init
(internal) Give every walk variable a value of its kind.
end

# The listing loops (loops.gdb) run in chunks of $hw_chunk fragment indices.
# Each chunk runs under `frame apply -1 -q -s`, which collects the chunk's
# output in memory and prints it at once (gdb otherwise writes every piece
# of every printf line to the terminal separately), in the outermost frame
# (where gdb finds the block for each parsed line fastest) and restores the
# user's frame afterwards. If the chunk stops on an error (an unreadable
# string, say), it runs again from its start without being collected, so
# its lines and then the error appear as they would otherwise.
# 'hw-stream on' prints every line as it is found instead.
define hw-internal chunk-begin
  set $hw_to_all = $hw_to
  set $hw_cap = $hw_stream == 0 && $_thread != 0
  set $hw_more = 1
  if $hw_cap
    set $hw_to = $hw_i + $hw_chunk < $hw_to_all ? $hw_i + $hw_chunk : $hw_to_all
  end
end
document hw-internal chunk-begin
(internal) Start a chunked listing walk up to index $hw_to.
end

define hw-internal chunk-save
  set $hw_chunk_ok = 0
  set $hw_c_nx = $hw_nx
  set $hw_c_i = $hw_i
  set $hw_c_ti = $hw_ti
end
document hw-internal chunk-save
(internal) Remember where a chunk starts.
end

define hw-internal chunk-restore
  set $hw_nx = $hw_c_nx
  set $hw_i = $hw_c_i
  set $hw_ti = $hw_c_ti
  set $hw_fin = 0
  set $hw_bad = 0
end
document hw-internal chunk-restore
(internal) Go back to the start of a chunk that stopped on an error.
end

# A chunk that ran out of indices leaves $hw_i one past its last index,
# with $hw_nx still at that fragment: step back and go on.
define hw-internal chunk-next
  set $hw_more = $hw_bad == 0 && $hw_fin == 0 && $hw_to < $hw_to_all
  if $hw_more
    if $hw_i > $hw_to
      set $hw_i = $hw_i - 1
    end
    set $hw_to = $hw_i + $hw_chunk < $hw_to_all ? $hw_i + $hw_chunk : $hw_to_all
  else
    set $hw_to = $hw_to_all
  end
end
document hw-internal chunk-next
(internal) Set up the next chunk of a listing walk, or end it ($hw_more = 0).
end

# After a walk: say why it stopped early, if it did. $hw_stop is where a
# complete walk ends (0: not known); $hw_lfe_ends (set with $hw_lfe by the
# manager's header reader) whether reaching $hw_lfe ends the walk.
define hw-internal walk-end
  if $hw_bad
    printf "hw: fragment %lld at 0x%lx has size %lu, which runs past the heap end 0x%lx: walk stopped (hw-check tells more)\n", $hw_i, $hw_f, $hw_sz, $hw_end
  else
    if ($hw_fin || ($hw_lfe_ends && $hw_nx >= $hw_lfe)) && $hw_stop != 0 && $hw_nx != $hw_stop
      printf "hw: the fragments end at 0x%lx, the heap at 0x%lx (hw-check tells more)\n", $hw_nx, $hw_stop
    end
  end
end
document hw-internal walk-end
(internal) Report a walk that stopped on a bad size or did not end where the heap ends.
end

define hw-internal need
  set $hw_go = $hw_ok
  if !$hw_ok
    printf "hw: no pool selected: use hw-pkg or hw-shm first (help hw-pkg)\n"
  end
end
document hw-internal need
(internal) Set $hw_go to 1 if a pool is selected, else say how to select one.
end

# The manager a root's mname string names: "q_malloc", "f_malloc", "tlsf_malloc".
define hw-internal mgr-from-name
  set $hw_n0 = *(unsigned char *)$hw_name
  set $hw_n1 = *(unsigned char *)($hw_name + 1)
  set $hw_n2 = *(unsigned char *)($hw_name + 2)
  if $hw_n0 == 'q' && $hw_n1 == '_' && $hw_n2 == 'm'
    set $hw_sel_mgr = 1
  end
  if $hw_n0 == 'f' && $hw_n1 == '_' && $hw_n2 == 'm'
    set $hw_sel_mgr = 2
  end
  if $hw_n0 == 't' && $hw_n1 == 'l' && $hw_n2 == 's'
    set $hw_sel_mgr = 3
  end
end
document hw-internal mgr-from-name
(internal) Set $hw_sel_mgr from the manager name string at $hw_name.
end

# hw-internal member-off STRUCT MEMBER: $hw_mo = the offset of MEMBER (a
# member expression: dbg[0].file) in struct STRUCT, -1 if gdb's debug info
# has no such member (or no such struct).
define hw-internal member-off
  set $hw_mo = -1
  if $_thread != 0
    frame apply 1 -q -s set $hw_mo = (int)&((struct $arg0 *)0)->$arg1
  end
end
document hw-internal member-off
(internal) Set $hw_mo to the offset of member $arg1 of struct $arg0, or -1.
end

# DWARF probe: `info line` sets $_ only when the function has line info,
# i.e. when gdb has the debug info of the manager's source file. It prints
# one line either way, which is left visible as the evidence.
define hw-internal dwarf-probe
  if $hw_os
    hw-internal dwarf-probe-os
  else
    hw-internal dwarf-probe-kam
  end
end
document hw-internal dwarf-probe
(internal) Set $hw_has_dwarf to 1 if gdb has the debug info of manager $hw_sel_mgr.
end

# OpenSIPS: does gdb know the manager's fragment struct?
define hw-internal dwarf-probe-os
  set $hw_mo = -1
  if $hw_sel_mgr == 1
    hw-internal member-off qm_frag size
  end
  if $hw_sel_mgr == 2
    hw-internal member-off fm_frag size
  end
  if $hw_sel_mgr == 4
    hw-internal member-off hp_frag size
  end
  if $hw_sel_mgr == 5
    hw-internal member-off parallel_frag size
  end
  set $hw_has_dwarf = $hw_mo >= 0
end
document hw-internal dwarf-probe-os
(internal) Set $hw_has_dwarf to 1 if gdb knows the fragment struct of OpenSIPS's manager $hw_sel_mgr.
end

define hw-internal dwarf-probe-kam
  set $_ = 0
  printf "hw: debug info? "
  if $hw_sel_mgr == 1
    info line qm_malloc
  end
  if $hw_sel_mgr == 2
    info line fm_malloc
  end
  if $hw_sel_mgr == 3
    info line tlsf_malloc
  end
  set $hw_has_dwarf = (unsigned long)$_ != 0
end
document hw-internal dwarf-probe-kam
(internal) Set $hw_has_dwarf to 1 if gdb has line info for the manager of $hw_sel_mgr.
end

define hw-internal dwarf
  if $hw_sel_mgr == 1 && !$hw_os
    hw-internal dwarf-qm
  end
  if $hw_sel_mgr == 2 && !$hw_os
    hw-internal dwarf-fm
  end
  if $hw_sel_mgr == 1 && $hw_os
    hw-internal dwarf-qm-os
  end
  if $hw_sel_mgr == 2 && $hw_os
    hw-internal dwarf-fm-os
  end
  if $hw_sel_mgr == 4
    hw-internal dwarf-hp
  end
  if $hw_sel_mgr == 5
    hw-internal dwarf-par
  end
  if $hw_sel_mgr == 3
    hw-internal dwarf-tlsf
  end
  set $hw_layout_name = "dwarf"
  set $hw_layout_src = "from gdb's debug info"
end
document hw-internal dwarf
(internal) Take the layout of manager $hw_sel_mgr from gdb's debug info.
end

define hw-internal fingerprint
  set $hw_found = 0
  if $hw_sel_mgr == 1 || $hw_sel_mgr == 0
    hw-internal fp-qm
  end
  if $hw_found == 0 && ($hw_sel_mgr == 2 || $hw_sel_mgr == 0)
    hw-internal fp-fm
  end
  if $hw_found == 0 && ($hw_sel_mgr == 3 || $hw_sel_mgr == 0)
    hw-internal fp-tlsf
  end
  if $hw_found == 0 && ($hw_sel_mgr == 4 || $hw_sel_mgr == 0)
    hw-internal fp-hp
  end
  if $hw_found == 0 && $hw_sel_mgr == 5
    hw-internal fp-par
  end
end
document hw-internal fingerprint
(internal) Pick a built-in profile from the block's own fingerprint; $hw_found = 1 if one fits.
end

# hw-internal fp-tile HEADER TRAILER FIRST LAST GRAIN: do fragments of
# HEADER + size + TRAILER bytes tile the heap from the block's first_frag
# (at block + FIRST) to the pointer at block + LAST, for their first 64
# steps, with sizes that are multiples of GRAIN and not 0 (a header size
# that is wrong reads zeros in payloads)? $hw_tile = 1 if they do.
define hw-internal fp-tile
  set $hw_t_f = *(unsigned long *)($hw_block + $arg2)
  set $hw_t_l = *(unsigned long *)($hw_block + $arg3)
  set $hw_t_n = 0
  set $hw_t_bad = $hw_t_l < $hw_t_f
  set $hw_t_sz = (unsigned long)0
  while $hw_t_bad == 0 && $hw_t_n < 64 && $hw_t_f < $hw_t_l && ($hw_t_sz = *(unsigned long *)$hw_t_f, $hw_t_sz != 0 && $hw_t_sz % $arg4 == 0 && $hw_t_l - $hw_t_f >= $arg0 && $hw_t_sz <= $hw_t_l - $hw_t_f - $arg0 ? ($hw_t_f = $hw_t_f + $arg0 + $hw_t_sz + $arg1, $hw_t_n = $hw_t_n + 1) : ($hw_t_bad = 1, 0))
  end
  set $hw_tile = $hw_t_bad == 0 && ($hw_t_f == $hw_t_l || $hw_t_n == 64)
end
document hw-internal fp-tile
(internal) $hw_tile = 1 if fragments of header $arg0 and trailer $arg1 tile the start of the heap of $hw_block.
end

# hw-internal sym-addr NAME: $hw_x = the address of global NAME, 0 if there
# is none ('frame apply -s' drops gdb's error; it needs a frame).
define hw-internal sym-addr
  set $hw_x = (unsigned long)0
  if $_thread != 0
    frame apply 1 -q -s set $hw_x = (unsigned long)&$arg0
  end
end
document hw-internal sym-addr
(internal) Set $hw_x to the address of the global $arg0, or 0 if there is none.
end

# OpenSIPS has no _pkg_root; its process table count tells it from a
# Kamailio before 4.4.
define hw-internal os-detect
  hw-internal sym-addr _pkg_root
  set $hw_os = 0
  if $hw_x == 0
    hw-internal sym-addr counted_max_processes
    set $hw_os = $hw_x != 0
  end
end
document hw-internal os-detect
(internal) Set $hw_os to 1 for an OpenSIPS image (no _pkg_root, counted_max_processes).
end

# OpenSIPS pool KIND (0 pkg, 1 shm): the block from mem_block / shm_block,
# the manager from mem_allocator_pkg / mem_allocator_shm (3.0+: enum
# osips_mm, 3.6 inserted F_PARALLEL at 4 and shifted the _DBG ones) or
# from the one allocator compiled in (2.4); F_PARALLEL's block is the
# array shm_blocks points at (hw-par.gdb). $hw_os_fdbg: 1 a _DBG flavour,
# 0 a plain one (its debug fields are never written), -1 not known.
define hw-internal os-select
  set $hw_os_fdbg = -1
  set $hw_os_par = 0
  if $arg0 == 0
    hw-internal sym-addr mem_block
  else
    hw-internal sym-addr shm_block
  end
  if $hw_x != 0
    set $hw_block = *(unsigned long *)$hw_x
  end
  if $arg0 == 0
    hw-internal sym-addr mem_allocator_pkg
  else
    hw-internal sym-addr mem_allocator_shm
  end
  if $hw_x != 0
    set $hw_mmv = (int)(*(unsigned int *)$hw_x & 0x7fffffff)
    hw-internal sym-addr shm_blocks
    set $hw_fd = $hw_x != 0 ? 5 : 4
    set $hw_kind = $hw_mmv > 0 && $hw_mmv < $hw_fd ? $hw_mmv : $hw_mmv >= $hw_fd && $hw_mmv < 2 * $hw_fd - 1 ? $hw_mmv - $hw_fd + 1 : 0
    set $hw_os_fdbg = $hw_kind == 0 ? -1 : $hw_mmv >= $hw_fd
    set $hw_sel_mgr = $hw_kind == 1 ? 2 : $hw_kind == 2 ? 1 : $hw_kind == 3 ? 4 : 0
    set $hw_os_par = $hw_kind == 4
    if $hw_os_par && $arg0 == 1
      # F_PARALLEL_MALLOC_DBG installs the plain functions: no sites either
      set $hw_os_fdbg = 0
      set $hw_sel_mgr = 5
      hw-internal sym-addr shm_blocks
      set $hw_block = *(unsigned long *)$hw_x
    end
  else
    hw-internal sym-addr qm_malloc
    if $hw_x != 0
      set $hw_sel_mgr = 1
    end
    hw-internal sym-addr fm_malloc
    if $hw_x != 0
      set $hw_sel_mgr = 2
    end
    hw-internal sym-addr hp_pkg_malloc
    if $hw_x != 0
      set $hw_sel_mgr = 4
    end
  end
end
document hw-internal os-select
(internal) OpenSIPS: the block of pool $arg0 (0 pkg, 1 shm) and its manager, from OpenSIPS's globals.
end

# hw-internal select KIND HAS_BLOCK [BLOCK]
define hw-internal select
  set $hw_ok = 0
  set $hw_ptr = (int)sizeof(void *)
  set $hw_pool = $arg0
  set $hw_how = 0
  set $hw_sel_mgr = 0
  set $hw_block = 0
  set $hw_cli = 0
  set $hw_found = 0
  set $hw_explicit = $arg1
  set $hw_os_fdbg = -1
  set $hw_os_par = 0
  set $hw_fm_ibase = (long long)0
  hw-internal os-detect
  if $arg0 == 0 && !$_isvoid($hw_cli_pkg)
    set $hw_cli = $hw_cli_pkg
  end
  if $arg0 == 1 && !$_isvoid($hw_cli_shm)
    set $hw_cli = $hw_cli_shm
  end
  if $arg1
    set $hw_block = (unsigned long)($arg2)
  end
  # the layout file from 'heapwalk layout' knows the block and its layout
  if $hw_cli && $hw_forced == 0
    if $arg0 == 0
      hw-cli-pkg
    else
      hw-cli-shm
    end
    if !$arg1 || $hw_block == $hw_cli_block
      set $hw_block = $hw_cli_block
      set $hw_sel_mgr = $hw_mgr
      set $hw_how = 4
    end
  end
  if $hw_os && $hw_how != 4
    set $hw_ob = $hw_block
    hw-internal os-select $arg0
    if $arg1
      set $hw_block = $hw_ob
    end
  end
  if !$arg1 && $hw_how == 0 && !$hw_os
    if $arg0 == 0
      set $hw_root = (unsigned long)&_pkg_root
    else
      set $hw_root = (unsigned long)&_shm_root
    end
    set $hw_name = *(unsigned long *)$hw_root
    set $hw_block = *(unsigned long *)($hw_root + 2 * $hw_ptr)
    if $hw_name != 0
      hw-internal mgr-from-name
    end
  end
  if $hw_block == 0
    printf "hw: the pool has no block yet (not initialised?)\n"
  else
    if $hw_how == 0 && $hw_forced == 1
      set $hw_how = 1
      if $hw_sel_mgr != 0 && $hw_sel_mgr != $hw_mgr
        printf "hw: warning: the pool's root names another manager than layout %s\n", $hw_layout_name
      end
      set $hw_sel_mgr = $hw_mgr
    end
    # a block given by address has no name: the fingerprint tells the manager
    if $hw_how == 0 && $hw_sel_mgr == 0
      hw-internal fingerprint
      if $hw_found
        set $hw_how = 3
        set $hw_sel_mgr = $hw_mgr
      end
    end
    if $hw_sel_mgr != 0 && ($hw_how == 0 || $hw_how == 3)
      if $hw_forced == 2
        hw-internal dwarf
        set $hw_how = 2
      else
        hw-internal dwarf-probe
        if $hw_has_dwarf
          hw-internal dwarf
          set $hw_how = 2
        end
      end
    end
    if $hw_how == 0
      hw-internal fingerprint
      if $hw_found
        set $hw_how = 3
      end
    end
    if $hw_explicit && ($hw_how == 2 || $hw_how == 3)
      hw-internal old-era
    end
    # OpenSIPS's plain flavours leave a debug build's site fields unwritten
    if $hw_how != 0 && $hw_how != 4 && $hw_os_fdbg == 0
      eval "hw-internal m%d-unfilled", $hw_mgr
    end
    if $hw_how == 0
      printf "hw: block 0x%lx matches no built-in layout; choose one: hw-layout NAME (help hw-profile), or source the output of 'heapwalk layout --format gdb'\n", $hw_block
    else
      set $hw_ok = 1
      hw-internal describe
    end
  end
end
document hw-internal select
(internal) Select pool KIND (0 pkg, 1 shm) from its root, or the block at BLOCK if HAS_BLOCK, and its layout.
end

define hw-internal describe
  if $hw_pool == 0
    printf "hw: pkg pool"
    if !$hw_explicit
      printf " (process_no %d)", *(int *)&process_no
    end
  end
  if $hw_pool == 1
    printf "hw: shm pool"
  end
  eval "hw-internal m%d-name", $hw_mgr
  printf ", block 0x%lx, layout %s", $hw_block, $hw_layout_name
  if $hw_how == 1
    printf " (chosen with hw-layout)\n"
  end
  if $hw_how == 2
    printf " (%s)\n", $hw_layout_src
  end
  if $hw_how == 3
    printf " (recognised from the block)\n"
  end
  if $hw_how == 4
    printf " (%s)\n", $hw_layout_src
  end
  eval "hw-internal m%d-verify", $hw_mgr
end
document hw-internal describe
(internal) Say which pool, manager, block and layout are selected, and check the layout fits.
end

# A block given by address belongs to a Kamailio before 4.4 (later ones
# have _pkg_root/_shm_root). Non-debug builds of 4.2-4.3 and 4.4+ share
# their q_malloc layout, and TLSF 4.3 and 4.4+ theirs; the era still
# decides what Kamailio's own status dump looks like (TLSF: a block list,
# not the free-list matrix).
define hw-internal old-era
  # each manager's own (the other managers' variables may not exist)
  eval "hw-internal m%d-old-era", $hw_mgr
end
document hw-internal old-era
(internal) Set the era of a layout found for a block given by address (Kamailio before 4.4).
end

define hw-pkg
  if $argc == 0
    hw-internal select 0 0
  else
    if $argc == 1
      set $hw_arg = (unsigned long)($arg0)
    end
    if $argc == 2
      set $hw_arg = (unsigned long)($arg0 $arg1)
    end
    if $argc == 3
      set $hw_arg = (unsigned long)($arg0 $arg1 $arg2)
    end
    if $argc == 4
      set $hw_arg = (unsigned long)($arg0 $arg1 $arg2 $arg3)
    end
    if $argc == 5
      set $hw_arg = (unsigned long)($arg0 $arg1 $arg2 $arg3 $arg4)
    end
    if $argc == 6
      set $hw_arg = (unsigned long)($arg0 $arg1 $arg2 $arg3 $arg4 $arg5)
    end
    if $argc == 7
      set $hw_arg = (unsigned long)($arg0 $arg1 $arg2 $arg3 $arg4 $arg5 $arg6)
    end
    if $argc == 8
      set $hw_arg = (unsigned long)($arg0 $arg1 $arg2 $arg3 $arg4 $arg5 $arg6 $arg7)
    end
    hw-internal select 0 1 $hw_arg
  end
end
document hw-pkg
Select this process's pkg pool for the other hw-* commands.
Usage: hw-pkg [BLOCK]
Finds the block through _pkg_root (Kamailio 4.4 and later), recognises the
manager (q_malloc, f_malloc, tlsf) from its name, and takes the layout from,
in this order: hw-layout NAME if you chose one; the output of
'heapwalk layout --format gdb' if you sourced it; gdb's debug info (struct
offsets read once); the block's own fingerprint (first_frag - block).
BLOCK: an address (an expression, up to 8 words), for versions before
4.4, which have no _pkg_root, e.g.
  hw-pkg *(unsigned long *)&mem_block
OpenSIPS: the block is mem_block's, the manager mem_allocator_pkg's (or,
in 2.4, the one compiled in); a plain flavour records no sites.
Each process has its own pkg pool: select the process (core) first.
end

define hw-shm
  if $argc == 0
    hw-internal select 1 0
  else
    if $argc == 1
      set $hw_arg = (unsigned long)($arg0)
    end
    if $argc == 2
      set $hw_arg = (unsigned long)($arg0 $arg1)
    end
    if $argc == 3
      set $hw_arg = (unsigned long)($arg0 $arg1 $arg2)
    end
    if $argc == 4
      set $hw_arg = (unsigned long)($arg0 $arg1 $arg2 $arg3)
    end
    if $argc == 5
      set $hw_arg = (unsigned long)($arg0 $arg1 $arg2 $arg3 $arg4)
    end
    if $argc == 6
      set $hw_arg = (unsigned long)($arg0 $arg1 $arg2 $arg3 $arg4 $arg5)
    end
    if $argc == 7
      set $hw_arg = (unsigned long)($arg0 $arg1 $arg2 $arg3 $arg4 $arg5 $arg6)
    end
    if $argc == 8
      set $hw_arg = (unsigned long)($arg0 $arg1 $arg2 $arg3 $arg4 $arg5 $arg6 $arg7)
    end
    hw-internal select 1 1 $hw_arg
  end
end
document hw-shm
Select the shared memory (shm) pool for the other hw-* commands.
Usage: hw-shm [BLOCK]
Like hw-pkg, through _shm_root; for versions before 4.4 give the block:
  hw-shm *(unsigned long *)&shm_block
OpenSIPS: shm_block and mem_allocator_shm. On 3.6+'s parallel pools
(F_PARALLEL_MALLOC) the 32 pools of shm_blocks, walked as one in address
order; BLOCK: one pool's block, walked alone.
end

define hw-layout
  if $argc == 0
    if $hw_forced == 1
      printf "hw: layout %s, chosen with hw-layout (hw-layout auto to detect again)\n", $hw_layout_name
    end
    if $hw_forced == 2
      printf "hw: layout from gdb's debug info, chosen with hw-layout dwarf\n"
    end
    if $hw_forced == 0
      printf "hw: layouts are detected when a pool is selected\n"
    end
    if $hw_ok
      hw-internal describe
    end
  else
    hw-internal layout-set $arg0
  end
end
document hw-layout
Show or choose the layout (struct offsets and constants) of the pools.
Usage: hw-layout [NAME | dwarf | auto]
  NAME   a built-in profile, by the names 'heapwalk profiles' prints
         (e.g. qm-4.4-5.7-dbg-lp64, fm-5.8+-dbg-lp64); 'help hw-profile'
         lists them. Use it for stripped binaries whose block heapwalk does
         not recognise by itself.
  dwarf  take the offsets from gdb's debug info.
  auto   forget the choice (and a sourced 'heapwalk layout' file); detect.
The choice applies to the selected pool at once and to every pool
selected later. 'heapwalk layout --core CORE --format gdb > l.gdb' writes
the layouts the heapwalk CLI detected; 'source l.gdb' makes hw-pkg and
hw-shm use them.
end

# hw-layout's argument is matched as text: "auto", "dwarf", else a profile
# name (an unknown one makes gdb say: Undefined hw-profile command).
define hw-internal layout-set
  if $_isvoid($hw_cli_pkg)
    set $hw_cli_pkg = 0
  end
  if $_isvoid($hw_cli_shm)
    set $hw_cli_shm = 0
  end
  set $hw_s = "$arg0"
  set $hw_kw = 0
  if sizeof($hw_s) == 5 ? $hw_s[0] == 'a' && $hw_s[1] == 'u' && $hw_s[2] == 't' && $hw_s[3] == 'o' : 0
    set $hw_kw = 1
  end
  if sizeof($hw_s) == 6 ? $hw_s[0] == 'd' && $hw_s[1] == 'w' && $hw_s[2] == 'a' && $hw_s[3] == 'r' && $hw_s[4] == 'f' : 0
    set $hw_kw = 2
  end
  if $hw_kw == 1
    set $hw_forced = 0
    set $hw_cli_pkg = 0
    set $hw_cli_shm = 0
    printf "hw: layouts will be detected\n"
  end
  if $hw_kw == 2
    set $hw_forced = 2
    printf "hw: layouts will be read from gdb's debug info\n"
  end
  if $hw_kw == 0
    # '+' is not allowed in gdb command names: profiles.gdb spells it '_'
    set $hw_j = 0
    while $hw_j < sizeof($hw_s) && ($hw_s[$hw_j] == '+' ? ($hw_s[$hw_j] = '_') : 0, $hw_j = $hw_j + 1)
    end
    eval "hw-profile %s", $hw_s
    set $hw_forced = 1
    printf "hw: layout %s chosen\n", $hw_layout_name
  end
  hw-internal reselect
end
document hw-internal layout-set
(internal) hw-layout NAME | dwarf | auto.
end

define hw-internal reselect
  if $hw_ok
    set $hw_rb = $hw_block
    hw-internal select $hw_pool $hw_explicit $hw_rb
  end
end
document hw-internal reselect
(internal) Select the selected pool again, with the current layout choice.
end

define hw-stats
  hw-internal need
  if $hw_go
    eval "hw-internal m%d-stats", $hw_mgr
  end
end
document hw-stats
Print the selected pool's totals as Kamailio's own status dump begins.
q_malloc (qm_status):         (BLOCK): / heap size= / used= ..., used+overhead=...,
                              free=... / max used (+overhead)= ...
f_malloc (fm_status):         the same four lines, as fm_status words them
tlsf (tlsf_status):           status of pool (BLOCK): / heap size= / used= ...,
                              fragments=... / max used (+overhead)=..., max fragments=...
The numbers are the block's own counters, as Kamailio prints them; compare
with 'heapwalk stats --format kamailio' or with the log of a memory dump.
OpenSIPS: the status lines of qm_status, fm_status or hp_status, as
'heapwalk stats --format opensips' prints them; on the parallel pools
every pool's fm_status with its free lists.
end

define hw-internal range
  set $hw_from = (long long)0
  set $hw_to = (long long)0x7fffffffffffffff
  if $argc >= 1
    set $hw_from = (long long)($arg0)
    if $argc >= 2
      set $hw_to = (long long)($arg1)
    end
  end
end
document hw-internal range
(internal) Set $hw_from and $hw_to (inclusive fragment indices) from up to two arguments.
end

define hw-used
  hw-internal need
  if $hw_go
    if $argc == 0
      hw-internal range
    end
    if $argc == 1
      hw-internal range $arg0
    end
    if $argc >= 2
      hw-internal range $arg0 $arg1
    end
    hw-internal list 1
  end
end
document hw-used
List the used fragments of the selected pool.
Usage: hw-used [FROM [TO]]
FROM, TO: fragment indices (inclusive), counted from 0 over all fragments,
used and free, as Kamailio's qm_status counts them.
One line per fragment, the same as 'heapwalk frags --used' prints:
     index  address (user pointer)   size  used  file: func(line)
The site (where it was allocated) needs a debug build (DBG_SR_MEMORY).
end

define hw-frags
  hw-internal need
  if $hw_go
    if $argc == 0
      hw-internal range
    end
    if $argc == 1
      hw-internal range $arg0
    end
    if $argc >= 2
      hw-internal range $arg0 $arg1
    end
    hw-internal list 0
  end
end
document hw-frags
List all fragments of the selected pool, used and free.
Usage: hw-frags [FROM [TO]]
The same lines as 'heapwalk frags' prints (see help hw-used); a free
fragment shows where it was freed.
end

define hw-sums
  hw-internal need
  if $hw_go
    hw-internal range
    hw-internal list 2
  end
end
document hw-sums
Print one line per used fragment: the site it was allocated from.
Count them by site with:
  pipe hw-sums | sort | uniq -c | sort -n
(the counts per site that 'heapwalk summary' and Kamailio's qm_sums print).
Needs a debug build (DBG_SR_MEMORY).
end

define hw-internal list
  eval "hw-internal m%d-list $arg0", $hw_mgr
end
document hw-internal list
(internal) List fragments $hw_from..$hw_to: 0 all, 1 used only, 2 sites of used ones.
end

define hw-status
  hw-internal need
  if $hw_go
    set $hw_status_all = 0
    if $argc >= 1
      set $hw_status_all = $arg0
    end
    eval "hw-internal m%d-status", $hw_mgr
  end
end
document hw-status
Print the selected pool's status the way Kamailio's own status dump does.
Usage: hw-status [ALL]
q_malloc: the whole qm_status body (the stats lines, every used fragment
with its site and check words, the free list stats); with ALL = 1 also the
free fragments, as with mem_status_mode=1. f_malloc: fm_status (stats and
free lists). tlsf: tlsf_status (stats and the free-list matrix).
OpenSIPS: the status lines and the free lists of qm_status, fm_status or
hp_status, as 'heapwalk stats --format opensips' prints them.
Compare with 'heapwalk frags --format kamailio' or a Kamailio log.
end

define hw-free
  hw-internal need
  if $hw_go
    eval "hw-internal m%d-free", $hw_mgr
  end
end
document hw-free
Print the free lists of the selected pool, one entry per non-empty list.
q_malloc, f_malloc: per hash bucket, as Kamailio's status dump prints them:
  hash= H. fragments no.: N, unused: 0 / bucket size: LOW - HIGH (first SIZE)
tlsf: per (fl, sl) list: the list index, its size class, the number of
blocks and the first block's size.
Each list walk is bounded; a list that does not end (or close) where it
should is reported.
end

define hw-check
  hw-internal need
  if $hw_go
    eval "hw-internal m%d-check", $hw_mgr
  end
end
document hw-check
Check the selected pool: walk every fragment and verify that sizes keep
inside the heap, that the fragments tile it exactly up to its end, and,
where the manager keeps them, the start and end check patterns (debug
builds), the trailer's copy of the size (q_malloc), the free flags of
neighbours (tlsf). Stops at the first bad fragment and shows it with its
neighbours; otherwise prints the counts and compares them with the block's
own counters.
end

define hw-addr
  hw-internal need
  if $hw_go && $argc == 0
    printf "hw: which address? usage: hw-addr ADDRESS\n"
    set $hw_go = 0
  end
  if $hw_go
    if $argc == 1
      set $hw_arg = (unsigned long)($arg0)
    end
    if $argc == 2
      set $hw_arg = (unsigned long)($arg0 $arg1)
    end
    if $argc == 3
      set $hw_arg = (unsigned long)($arg0 $arg1 $arg2)
    end
    if $argc == 4
      set $hw_arg = (unsigned long)($arg0 $arg1 $arg2 $arg3)
    end
    if $argc == 5
      set $hw_arg = (unsigned long)($arg0 $arg1 $arg2 $arg3 $arg4)
    end
    if $argc == 6
      set $hw_arg = (unsigned long)($arg0 $arg1 $arg2 $arg3 $arg4 $arg5)
    end
    if $argc == 7
      set $hw_arg = (unsigned long)($arg0 $arg1 $arg2 $arg3 $arg4 $arg5 $arg6)
    end
    if $argc == 8
      set $hw_arg = (unsigned long)($arg0 $arg1 $arg2 $arg3 $arg4 $arg5 $arg6 $arg7)
    end
    set $hw_a = $hw_arg
    eval "hw-internal m%d-addr", $hw_mgr
  end
end
document hw-addr
Tell which fragment of the selected pool holds an address.
Usage: hw-addr ADDRESS
ADDRESS: an expression (up to 8 words), e.g. hw-addr $rdi or hw-addr 0x7f0a1c2d3e40.
Prints the fragment (index, header, user pointer, size), whether it is used
or free, and where it was allocated or freed (debug builds).
end

define hw-strings
  if $argc == 1
    set $hw_s = "$arg0"
    set $hw_strings = sizeof($hw_s) == 3 ? $hw_s[0] == 'o' && $hw_s[1] == 'n' : 0
    # the walk loops that print sites come in two sets (see gen-gdb.c)
    eval "with confirm off -- source %s/loops.gdb", $hw_gen_dir
    if !$hw_strings
      eval "with confirm off -- source %s/loops-ptr.gdb", $hw_gen_dir
    end
  end
  if $hw_strings
    printf "hw: sites are printed as text (file: func(line))\n"
  else
    printf "hw: sites are printed as the addresses of their strings (0xFILE: 0xFUNC(line))\n"
  end
end
document hw-strings
Show or choose how allocation sites are printed.
Usage: hw-strings [on|off]
on (the default): as text, read from the executable and the modules.
off: as the addresses of the file and function strings. Use it when gdb
cannot read those strings (it then stops a listing with "Cannot access
memory at address ..."), e.g. for a core from another machine whose
module files are missing here. Counting with hw-sums still works: it
then groups by the strings' addresses, as Kamailio's own summary does.
end

define hw-stream
  if $argc == 1
    set $hw_s = "$arg0"
    set $hw_stream = sizeof($hw_s) == 3 ? $hw_s[0] == 'o' && $hw_s[1] == 'n' : 0
  end
  if $hw_stream
    printf "hw: listings print each line as they find it\n"
  else
    printf "hw: listings print in batches of %d fragments\n", $hw_chunk
  end
end
document hw-stream
Show or choose how hw-used, hw-frags and hw-sums print.
Usage: hw-stream [on|off]
off (the default): in batches of 4096 fragments; gdb collects a batch's
lines and prints them at once, which is several times faster.
on: every line as soon as it is found.
end

define hw-help
  printf "heapwalk gdb commands (help CMD for details):\n"
  printf "  hw-pkg, hw-shm [BLOCK]   select this process's pkg pool / the shm pool\n"
  printf "  hw-layout [NAME|dwarf|auto]  show or choose the layout (help hw-profile)\n"
  printf "  hw-stats                 heap size / used / used+overhead / free / max used\n"
  printf "  hw-used [FROM [TO]]      used fragments: index, address, size, site\n"
  printf "  hw-frags [FROM [TO]]     all fragments, used and free\n"
  printf "  hw-free                  free lists per bucket\n"
  printf "  hw-sums                  one site per used fragment: pipe hw-sums | sort | uniq -c\n"
  printf "  hw-status [ALL]          Kamailio's own status dump of the pool\n"
  printf "  hw-check                 verify patterns, sizes and tiling\n"
  printf "  hw-addr ADDRESS          the fragment that holds ADDRESS\n"
  printf "  hw-strings [on|off]      print sites as text (default) or as string addresses\n"
  printf "  hw-stream [on|off]       print listings line by line, or in batches (default)\n"
end
document hw-help
List the heapwalk gdb commands.
end
