# hw-par.gdb - OpenSIPS 3.6+'s parallel shm pools (f_parallel_malloc) for
# heapwalk.gdb.
#
# mem_allocator_shm F_PARALLEL(_DBG): shm_block is NULL and shm_blocks
# points at an array of 32 pool blocks, each an f_malloc heap of OpenSIPS
# 3.3's kind (struct parallel_frag / parallel_block; free when prev is set).
# hw-shm selects the array: the pools are walked as one pool, in address
# order (OpenSIPS maps pool 0 at the top), the fragment indices running on
# over the pools, as the CLI does; hw-shm BLOCK with one pool's block
# selects that pool alone. Every command maps the $hw_par_* layout onto
# hw-fm.gdb's $hw_fm_* variables (era 5) and runs its f_malloc walker on
# each pool, $hw_fm_ibase giving the index of the pool's first fragment.
#
#   $hw_par_n        pools selected (1 or $hw_par_pools; 0 none readable)
#   $hw_par_o[k]     the pools in shm_blocks' order
#   $hw_par_a[k]     the same, sorted by address

define hw-internal par-arrays
  set $hw_par_o = {0UL, 0UL, 0UL, 0UL, 0UL, 0UL, 0UL, 0UL, 0UL, 0UL, 0UL, 0UL, 0UL, 0UL, 0UL, 0UL, 0UL, 0UL, 0UL, 0UL, 0UL, 0UL, 0UL, 0UL, 0UL, 0UL, 0UL, 0UL, 0UL, 0UL, 0UL, 0UL}
  set $hw_par_a = {0UL, 0UL, 0UL, 0UL, 0UL, 0UL, 0UL, 0UL, 0UL, 0UL, 0UL, 0UL, 0UL, 0UL, 0UL, 0UL, 0UL, 0UL, 0UL, 0UL, 0UL, 0UL, 0UL, 0UL, 0UL, 0UL, 0UL, 0UL, 0UL, 0UL, 0UL, 0UL}
end
document hw-internal par-arrays
(internal) Fresh arrays of 32 pool blocks in $hw_par_o and $hw_par_a.
end

define hw-internal dwarf-par
  set $hw_mgr = 5
  set $hw_w = (int)sizeof(unsigned long)
  set $hw_par_word = $hw_w
  set $hw_par_frag_size = (int)sizeof(struct parallel_frag)
  set $hw_par_block_size = (int)sizeof(struct parallel_block)
  set $hw_par_lnk_size = (int)sizeof(struct parallel_frag_lnk)
  set $hw_par_f_size = (int)&((struct parallel_frag *)0)->size
  set $hw_par_f_u = (int)&((struct parallel_frag *)0)->u
  set $hw_par_f_prv_free = (int)&((struct parallel_frag *)0)->prev
  hw-internal member-off parallel_frag file
  set $hw_par_f_file = $hw_mo
  set $hw_par_debug = $hw_mo >= 0
  hw-internal member-off parallel_frag func
  set $hw_par_f_func = $hw_mo
  hw-internal member-off parallel_frag line
  set $hw_par_f_line = $hw_mo
  set $hw_par_f_block_ptr = (int)&((struct parallel_frag *)0)->block_ptr
  hw-internal member-off parallel_frag statistic_index
  set $hw_par_f_stat = $hw_mo
  set $hw_par_b_size = (int)&((struct parallel_block *)0)->size
  hw-internal member-off parallel_block fragments
  set $hw_par_b_frags_used = $hw_mo
  hw-internal member-off parallel_block used
  set $hw_par_b_used = $hw_mo
  hw-internal member-off parallel_block real_used
  set $hw_par_b_real_used = $hw_mo
  hw-internal member-off parallel_block max_real_used
  set $hw_par_b_max_real_used = $hw_mo
  set $hw_par_b_idx = (int)&((struct parallel_block *)0)->idx
  set $hw_par_b_first_frag = (int)&((struct parallel_block *)0)->first_frag
  set $hw_par_b_last_frag = (int)&((struct parallel_block *)0)->last_frag
  set $hw_par_b_free_hash = (int)&((struct parallel_block *)0)->free_hash
  set $hw_par_l_first = (int)&((struct parallel_frag_lnk *)0)->first
  set $hw_par_l_no = (int)&((struct parallel_frag_lnk *)0)->no
  set $hw_par_hash_size = (int)(sizeof(((struct parallel_block *)0)->free_hash) / $hw_par_lnk_size)
  # ROUNDTO is 8 on every word size; TOTAL_F_PARALLEL_POOLS 32 (a macro)
  set $hw_par_roundto = 8
  set $hw_par_optimize = 16384
  set $hw_par_optimize_factor = 14
  set $hw_par_first_off = ($hw_par_block_size + 7) / 8 * 8
  set $hw_par_pools = 32
  set $hw_par_era = 5
end
document hw-internal dwarf-par
(internal) Read the parallel pools' layout from gdb's debug info.
end

# $hw_isb = 1 if $hw_x is a pool's block: its first fragment right behind
# it, its sentinel at its end, its index below the pool count.
define hw-internal par-is-block
  set $hw_isb = 0
  if $hw_x != 0
    set $hw_isb = *(unsigned long *)($hw_x + $hw_par_b_first_frag) - $hw_x == $hw_par_first_off
    if $hw_isb
      set $hw_isb = *(unsigned long *)($hw_x + $hw_par_b_last_frag) == $hw_x + *(unsigned long *)($hw_x + $hw_par_b_size) - $hw_par_frag_size && *(unsigned int *)($hw_x + $hw_par_b_idx) < $hw_par_pools
    end
  end
end
document hw-internal par-is-block
(internal) $hw_isb = 1 if $hw_x is the block of a parallel pool.
end

# The pools of $hw_block: itself, or the array of $hw_par_pools blocks there.
define hw-internal par-pools
  hw-internal par-arrays
  set $hw_par_n = 0
  set $hw_x = (unsigned long)$hw_block
  hw-internal par-is-block
  if $hw_isb
    set $hw_par_o[0] = $hw_block
    set $hw_par_a[0] = $hw_block
    set $hw_par_n = 1
  else
    set $hw_k = 0
    set $hw_pok = $hw_par_pools > 0 && $hw_par_pools <= 32
    while $hw_pok && $hw_k < $hw_par_pools
      set $hw_x = *(unsigned long *)($hw_block + $hw_k * $hw_par_word)
      hw-internal par-is-block
      if $hw_isb
        set $hw_par_o[$hw_k] = $hw_x
        set $hw_par_a[$hw_k] = $hw_x
        set $hw_k = $hw_k + 1
      else
        printf "hw: 0x%lx is neither a parallel pool's block nor an array of them: shm_blocks[%d] = 0x%lx is no block\n", $hw_block, $hw_k, $hw_x
        set $hw_pok = 0
      end
    end
    if $hw_pok
      set $hw_par_n = $hw_par_pools
      # insertion sort by address
      set $hw_k = 1
      while $hw_k < $hw_par_n
        set $hw_key = $hw_par_a[$hw_k]
        set $hw_z = $hw_k
        while $hw_z > 0 ? ($hw_par_a[$hw_z - 1] > $hw_key ? ($hw_par_a[$hw_z] = $hw_par_a[$hw_z - 1], $hw_z = $hw_z - 1, 1) : 0) : 0
        end
        set $hw_par_a[$hw_z] = $hw_key
        set $hw_k = $hw_k + 1
      end
    end
  end
end
document hw-internal par-pools
(internal) The pools of the selected block into $hw_par_o (shm_blocks' order) and $hw_par_a (by address); $hw_par_n of them.
end

# The layout as hw-fm.gdb's variables: OpenSIPS 2.4-3.3's f_malloc (era 5).
define hw-internal par-fm
  set $hw_fm_era = 5
  set $hw_fm_debug = $hw_par_debug
  set $hw_fm_word = $hw_par_word
  set $hw_fm_roundto = $hw_par_roundto
  set $hw_fm_frag_size = $hw_par_frag_size
  set $hw_fm_block_size = $hw_par_block_size
  set $hw_fm_lnk_size = $hw_par_lnk_size
  set $hw_fm_f_size = $hw_par_f_size
  set $hw_fm_f_u = $hw_par_f_u
  set $hw_fm_f_link = $hw_par_f_u
  set $hw_fm_f_prv_free = $hw_par_f_prv_free
  set $hw_fm_f_is_free = -1
  set $hw_fm_f_is_free_size = 0
  set $hw_fm_f_next_free = -1
  set $hw_fm_f_prev_free = -1
  set $hw_fm_f_file = $hw_par_f_file
  set $hw_fm_f_func = $hw_par_f_func
  set $hw_fm_f_line = $hw_par_f_line
  set $hw_fm_f_mname = -1
  set $hw_fm_f_check = -1
  set $hw_fm_f_check_size = 0
  set $hw_fm_b_type = -1
  set $hw_fm_b_size = $hw_par_b_size
  set $hw_fm_b_used = $hw_par_b_used
  set $hw_fm_stats = $hw_par_b_used >= 0
  set $hw_fm_b_real_used = $hw_par_b_real_used
  set $hw_fm_b_max_real_used = $hw_par_b_max_real_used
  set $hw_fm_b_ffrags = -1
  set $hw_fm_b_free_bitmap = -1
  set $hw_fm_bitmap_words = 0
  set $hw_fm_b_large_space = -1
  set $hw_fm_b_first_frag = $hw_par_b_first_frag
  set $hw_fm_b_last_frag = $hw_par_b_last_frag
  set $hw_fm_b_free_hash = $hw_par_b_free_hash
  set $hw_fm_l_first = $hw_par_l_first
  set $hw_fm_l_no = $hw_par_l_no
  set $hw_fm_hash_size = $hw_par_hash_size
  set $hw_fm_optimize = $hw_par_optimize
  set $hw_fm_optimize_factor = $hw_par_optimize_factor
  set $hw_fm_first_off = $hw_par_first_off
  set $hw_fm_init_headers = 2
  set $hw_fm_ibase = (long long)0
end
document hw-internal par-fm
(internal) Set hw-fm.gdb's layout variables from the parallel pools' layout.
end

define hw-internal par-verify
  if $hw_par_word != $hw_ptr
    printf "hw: warning: layout %s is for %d-byte words, this target has %d\n", $hw_layout_name, $hw_par_word, $hw_ptr
  end
  hw-internal par-fm
  hw-internal par-pools
  if $hw_par_n > 1
    printf "hw: %d pools (shm_blocks), walked in address order from 0x%lx\n", $hw_par_n, $hw_par_a[0]
  end
end
document hw-internal par-verify
(internal) Find the pools of the selected block and check the layout fits them.
end

define hw-internal par-old-era
end
document hw-internal par-old-era
(internal) Nothing: the parallel pools have one era.
end

define hw-internal par-unfilled
  set $hw_par_debug = 0
  set $hw_par_f_file = -1
  set $hw_par_f_func = -1
  set $hw_par_f_line = -1
end
document hw-internal par-unfilled
(internal) Walk a plain F_PARALLEL_MALLOC (debug fields never written) as a non-debug layout.
end

# hw-stats and hw-status: one fm_status per pool, in shm_blocks' order, as
# OpenSIPS's parallel_status prints them.
define hw-internal par-status
  hw-internal par-fm
  set $hw_psel = $hw_block
  set $hw_pk = 0
  while $hw_pk < $hw_par_n
    set $hw_block = $hw_par_o[$hw_pk]
    hw-internal fm-status
    set $hw_pk = $hw_pk + 1
  end
  set $hw_block = $hw_psel
end
document hw-internal par-status
(internal) hw-status for the parallel pools: every pool's fm_status.
end

define hw-internal par-stats
  hw-internal par-status
end
document hw-internal par-stats
(internal) hw-stats for the parallel pools: every pool's fm_status, with its free lists.
end

define hw-internal par-free
  hw-internal par-fm
  set $hw_psel = $hw_block
  set $hw_pk = 0
  while $hw_pk < $hw_par_n
    set $hw_block = $hw_par_o[$hw_pk]
    if $hw_par_n > 1
      printf "pool %d (0x%lx):\n", $hw_pk, $hw_block
    end
    hw-internal fm-free
    set $hw_pk = $hw_pk + 1
  end
  set $hw_block = $hw_psel
end
document hw-internal par-free
(internal) hw-free for the parallel pools: each pool's free lists, in shm_blocks' order.
end

# hw-internal par-list MODE: the pools in address order, the indices
# running on; a pool walked to its end hands its last index on.
define hw-internal par-list
  hw-internal par-fm
  set $hw_pmode = $arg0
  if $hw_pmode == 2 && !$hw_fm_debug
    printf "hw: allocation sites need a debug build (DBG_SR_MEMORY); this one records none\n"
    set $hw_pmode = -1
  end
  set $hw_psel = $hw_block
  set $hw_pgo = $hw_pmode >= 0
  set $hw_pk = 0
  set $hw_fm_ibase = (long long)0
  set $hw_pfrom = $hw_from
  set $hw_pto = $hw_to
  while $hw_pgo && $hw_pk < $hw_par_n
    set $hw_block = $hw_par_a[$hw_pk]
    set $hw_from = $hw_pfrom
    set $hw_to = $hw_pto
    hw-internal fm-hdr
    set $hw_mode = $hw_pmode
    set $hw_pgo = $hw_hdr_ok
    if $hw_hdr_ok
      hw-internal fm-setup
      hw-internal loop-frag-skip
      if !$hw_fin && !$hw_bad
        hw-internal fm-list-word
      end
      hw-internal walk-end
      set $hw_pgo = $hw_fin && !$hw_bad
      set $hw_fm_ibase = $hw_i + 1
    end
    set $hw_pk = $hw_pk + 1
  end
  set $hw_fm_ibase = (long long)0
  set $hw_from = $hw_pfrom
  set $hw_to = $hw_pto
  set $hw_block = $hw_psel
end
document hw-internal par-list
(internal) hw-frags (0), hw-used (1), hw-sums (2) for the parallel pools, over $hw_from..$hw_to across them.
end

# hw-check: each pool checked in address order (its indices those of the
# whole view); stops at the first bad pool; then the totals.
define hw-internal par-check
  hw-internal par-fm
  set $hw_psel = $hw_block
  set $hw_pgo = 1
  set $hw_pk = 0
  set $hw_fm_ibase = (long long)0
  set $hw_pnu = (long long)0
  set $hw_pnf = (long long)0
  while $hw_pgo && $hw_pk < $hw_par_n
    set $hw_block = $hw_par_a[$hw_pk]
    if $hw_par_n > 1
      printf "pool at 0x%lx (index %u):\n", $hw_block, *(unsigned int *)($hw_block + $hw_par_b_idx)
    end
    hw-internal fm-check
    set $hw_pgo = $hw_hdr_ok && !$hw_bad && $hw_nx == $hw_end
    set $hw_fm_ibase = $hw_i + 1
    set $hw_pnu = $hw_pnu + $hw_nu
    set $hw_pnf = $hw_pnf + $hw_nf
    set $hw_pk = $hw_pk + 1
  end
  if $hw_pgo && $hw_par_n > 1
    printf "hw-check: %lld fragments OK in %d pools (%lld used, %lld free)\n", $hw_fm_ibase, $hw_par_n, $hw_pnu, $hw_pnf
  end
  set $hw_fm_ibase = (long long)0
  set $hw_block = $hw_psel
end
document hw-internal par-check
(internal) hw-check for the parallel pools: every pool, then the totals.
end

# hw-addr: the pool holding the address, its fragments' indices counted on
# from those of the pools below it.
define hw-internal par-addr
  hw-internal par-fm
  set $hw_psel = $hw_block
  set $hw_pk = 0
  set $hw_pin = -1
  while $hw_pin < 0 && $hw_pk < $hw_par_n
    set $hw_x = $hw_par_a[$hw_pk]
    if $hw_a >= $hw_x && $hw_a - $hw_x < *(unsigned long *)($hw_x + $hw_par_b_size)
      set $hw_pin = $hw_pk
    end
    set $hw_pk = $hw_pk + 1
  end
  if $hw_pin < 0
    printf "hw: 0x%lx is in none of the %d pools\n", $hw_a, $hw_par_n
  else
    # count the fragments of the pools below
    set $hw_pfrom = $hw_from
    set $hw_pto = $hw_to
    set $hw_from = (long long)0x7fffffffffffffff
    set $hw_to = (long long)0x7fffffffffffffff
    set $hw_fm_ibase = (long long)0
    set $hw_pk = 0
    set $hw_pgo = 1
    while $hw_pgo && $hw_pk < $hw_pin
      set $hw_block = $hw_par_a[$hw_pk]
      hw-internal fm-hdr
      set $hw_pgo = $hw_hdr_ok
      if $hw_hdr_ok
        hw-internal fm-setup
        hw-internal loop-frag-skip
        set $hw_pgo = $hw_fin && !$hw_bad
        if !$hw_pgo
          hw-internal walk-end
        end
        set $hw_fm_ibase = $hw_i + 1
      end
      set $hw_pk = $hw_pk + 1
    end
    set $hw_from = $hw_pfrom
    set $hw_to = $hw_pto
    if $hw_pgo
      set $hw_block = $hw_par_a[$hw_pin]
      printf "hw: pool %u, block 0x%lx\n", *(unsigned int *)($hw_block + $hw_par_b_idx), $hw_block
      hw-internal fm-addr
    end
  end
  set $hw_fm_ibase = (long long)0
  set $hw_block = $hw_psel
end
document hw-internal par-addr
(internal) hw-addr for the parallel pools: the pool and fragment holding $hw_a.
end
